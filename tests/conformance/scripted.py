"""Scripted turns for the fake LLM: `[[script:ID]]` replays a list of steps kept beside the server.

The detection corpus needs turns that go on for several model calls (a loop of identical calls, a
failing call then a fix, a sub-agent spawn and then a claim about its outcome), with exact tool
arguments and exact reply texts. Writing those into the user's message would put the labels' own words
into the transcript (a keyword detector could then "find" a scripted reply in the prompt), so the
message carries only an opaque tag and the fake LLM reads the steps from `<scripts dir>/<ID>.json`.

A script is a JSON list of steps; the step answered is the number of assistant messages that follow
the newest real (non-internal) user message carrying the tag, so tool follow-ups, OpenClaw's retries of
a failed call and a sub-agent's completion announce each get the step they are meant to. Past the end,
the last step is repeated when it is a reply, else the model says "Done.". A step is an object:

* `{"call": [[NAME, {args}], ...]}` — tool calls (several = parallel calls in one message);
* `{"say": TEXT}` — a text reply;
* `{"fail": STATUS, "error": MESSAGE}` — an HTTP error answer (OpenClaw retries 5xx, compacts on
  context-length errors);
* optional on any step: `"think": true` (reasoning first), `"delay": SECONDS` (answer later),
  `"force": true` (call the tools by name even if the request does not offer them, as models sometimes
  do; OpenClaw then answers with an error result).

A request that offers no tools at all (OpenClaw's compaction summariser) never gets a tool call: it gets
a short summary text instead.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conformance.directives import REASONING_TEXT, Reply, is_internal, text_of

SCRIPT_TAG = re.compile(r"\[\[script:([A-Za-z0-9_.-]+)\]\]")
# OpenClaw's completion announce of a sub-agent (2026.9.x: a plain user message) quotes the child's
# task, tag included; the tag there is the child's, never the turn's
ANNOUNCE_MARKERS = ("[Internal task completion event]", "A background task completed", "source: subagent")
SUMMARY_TEXT = (
    "Summary of the conversation so far: the user and the assistant worked through the tasks above."
)
DONE_TEXT = "Done."


@dataclass(frozen=True)
class Step:
    """One scripted answer."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    say: str | None = None
    fail: int | None = None
    error: str = "fake upstream failure (simulated)"
    think: bool = False
    delay_s: float = 0.0
    force: bool = False  # call the tools by name even when the request does not offer them

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.calls:
            out["call"] = [[name, args] for name, args in self.calls]
        if self.say is not None:
            out["say"] = self.say
        if self.fail is not None:
            out["fail"] = self.fail
            out["error"] = self.error
        if self.think:
            out["think"] = True
        if self.delay_s:
            out["delay"] = self.delay_s
        if self.force:
            out["force"] = True
        return out


def step_from_json(obj: dict[str, Any]) -> Step:
    calls = [(str(c[0]), dict(c[1]) if len(c) > 1 else {}) for c in obj.get("call") or []]
    return Step(
        calls=calls,
        say=obj.get("say"),
        fail=obj.get("fail"),
        error=str(obj.get("error") or Step.error),
        think=bool(obj.get("think")),
        delay_s=float(obj.get("delay") or 0.0),
        force=bool(obj.get("force")),
    )


def write_script(directory: Path, script_id: str, steps: list[Step]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{script_id}.json"
    path.write_text(json.dumps([s.to_json() for s in steps], indent=1) + "\n")
    return path


def load_script(directory: Path, script_id: str) -> list[Step]:
    """The steps of a script; a missing or unreadable script is an error the log will show."""
    data = json.loads((directory / f"{script_id}.json").read_text())
    return [step_from_json(s) for s in data]


@dataclass(frozen=True)
class Position:
    """Where a request is in its script."""

    script_id: str
    index: int  # script steps answered since the tagged user message


def position(messages: list[dict[str, Any]]) -> Position | None:
    """The script position of a request: the newest user message carrying a tag, and how many assistant
    messages came after it. OpenClaw's own user-role messages (internal context blocks, a sub-agent's
    completion announce, "your prior run ended…" continuations) carry no tag of theirs and are passed
    over, so the turn's script goes on through them; internal blocks and announces are never read for
    tags (they may quote a sub-agent's task)."""
    assistants = 0
    for msg in reversed(messages):
        role = msg.get("role")
        if role == "assistant":
            assistants += answered_steps(msg)
            continue
        if role != "user":
            continue
        text = text_of(msg.get("content"))
        if is_internal(text) or openclaw_notice(text):
            continue
        tag = SCRIPT_TAG.search(text)
        if tag:
            return Position(tag.group(1), assistants)
    return None


def openclaw_notice(text: str) -> bool:
    """A user-role message OpenClaw wrote itself (a completion announce, a "[Subagent Context] …" note
    to an orchestrator); they may quote sub-agents' tasks. A sub-agent's own task message is no notice."""
    if any(m in text for m in ANNOUNCE_MARKERS):
        return True
    return "[Subagent Context]" in text[:200] and "[Subagent Task]" not in text


def answered_steps(msg: dict[str, Any]) -> int:
    """How many script steps an assistant message of the history answered. Usually one; OpenClaw merges
    a reply and the next tool call into one message when the user-role message between them (a
    sub-agent's completion announce) is not kept in the history, so text plus tool calls count two.
    Scripts never put a reply and tool calls into one step, so the count stays exact."""
    has_text = bool(text_of(msg.get("content")).strip())
    has_calls = bool(msg.get("tool_calls"))
    return max(1, int(has_text) + int(has_calls))


def step_at(steps: list[Step], index: int) -> Step:
    """The step for this index; past the end a reply is repeated, anything else becomes "Done."."""
    if index < len(steps):
        return steps[index]
    last = steps[-1] if steps else Step(say=DONE_TEXT)
    return last if last.say is not None and not last.calls and last.fail is None else Step(say=DONE_TEXT)


def plan(step: Step, offered: set[str]) -> Reply:
    """The reply for a (non-failing) step. A tool the request offers only through Tool Search (2026.9.x)
    is called through its `tool_call` wrapper, as a model does, so one script serves every release."""
    reasoning = REASONING_TEXT if step.think else None
    if step.calls and not offered:
        return Reply(SUMMARY_TEXT, [], reasoning, [])
    calls, unoffered = [], []
    for name, args in step.calls:
        if name in offered or step.force:
            calls.append(_call(name, args))
        elif "tool_call" in offered:
            calls.append(_call("tool_call", {"id": name, "args": args}))
        else:
            unoffered.append(name)
    if calls:
        return Reply(step.say, calls, reasoning, unoffered)
    text = step.say if step.say is not None else DONE_TEXT
    if unoffered:
        text = f"Tool(s) {', '.join(unoffered)} not offered to me. " + text
    return Reply(text, [], reasoning, unoffered)


def _call(name: str, args: dict[str, Any]) -> dict[str, str]:
    return {"id": "call_" + uuid.uuid4().hex[:16], "name": name, "arguments": json.dumps(args)}

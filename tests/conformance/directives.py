"""What the fake LLM is asked for: directives and scenario markers in OpenClaw's requests.

Pure functions over the OpenAI `messages` list, kept apart from the HTTP server (`fakellm.py`) so the
rules can be read, and tested, on their own. Directives live in the current turn's user text (the user
messages after the last assistant message; when several carry a scenario marker, only the newest):

* `[[tool:NAME {json args}]]` — call tool NAME (several directives → parallel tool calls). A tool the
  request does not offer is not called; the reply says so and the log lists it under `unoffered`.
* `[[fail500]]` — HTTP 500 on every attempt (OpenClaw retries, then gives up).
* `[[think]]` — stream reasoning deltas first (OpenClaw stores a thinking block).
* `[[slow:S]]` — wait S seconds before every answer that belongs to this turn (its tool follow-ups too),
  so a test can act while OpenClaw is provably in the middle of the turn.
* `[[scenario:NAME]]` — a marker: the log attributes the request to scenario NAME (the newest user
  message carrying one decides; see `attribute`). `[[session:NAME]]` in a conversation's first user
  message claims the whole conversation (used for a sub-agent's task). Replies never echo markers, and
  OpenClaw's own context messages (`is_internal`) are ignored, so a marker is never inherited by accident.

After tool results (role `tool` after the last assistant message) the answer is plain text.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

TOOL_OPEN = re.compile(r"\[\[tool:([A-Za-z0-9_.-]+)\s*")
MARKER = re.compile(r"\[\[scenario:([A-Za-z0-9_.-]+)\]\]")
SESSION_MARKER = re.compile(r"\[\[session:([A-Za-z0-9_.-]+)\]\]")
SLOW = re.compile(r"\[\[slow:([0-9.]+)\]\]")
INTERNAL_CONTEXT = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>"
ANY_DIRECTIVE = re.compile(r"\[\[[a-z]+(?::[^\]]*)?\]\]")
FAIL_500 = "[[fail500]]"
THINK = "[[think]]"
REASONING_TEXT = "The user asked for this; I will do it step by step."


def text_of(content: Any) -> str:
    """The text of an OpenAI message `content` (a string or a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def strip_directives(text: str) -> str:
    """Text without any `[[...]]` directive, so echoed text never carries a directive onwards."""
    out = []
    pos = 0
    for m in TOOL_OPEN.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        _, end = _decode_args(text, m.end())
        close = text.find("]]", end)
        pos = close + 2 if close >= 0 else len(text)
    out.append(text[pos:])
    return ANY_DIRECTIVE.sub("", "".join(out))


def _decode_args(text: str, start: int) -> tuple[dict[str, Any], int]:
    """Decode the JSON object that follows `[[tool:NAME `; a missing or bad object means no args."""
    if start < len(text) and text[start] == "{":
        try:
            value, end = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            return {}, start
        if isinstance(value, dict):
            return value, end
    return {}, start


def tool_directives(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every `[[tool:NAME {args}]]` in text, in order (args are decoded with a real JSON decoder)."""
    found = []
    pos = 0
    while (m := TOOL_OPEN.search(text, pos)) is not None:
        args, end = _decode_args(text, m.end())
        found.append((m.group(1), args))
        pos = max(end, m.end())
    return found


@dataclass
class Turn:
    """What the request asks for, read from its messages."""

    user_text: str  # the current turn's user text ("" in a tool follow-up)
    scenario: str | None
    delay_s: float = 0.0
    tool_results: list[dict[str, str]] = field(default_factory=list)


def is_internal(text: str) -> bool:
    """OpenClaw's own context messages (sent with role user): never a source of directives or markers.

    2026.9.x appends `<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>` blocks (which may quote a sub-agent's task);
    2026.7.x sends "OpenClaw runtime context …" after announce events.
    """
    head = text.lstrip()[:200]
    return head.startswith(INTERNAL_CONTEXT) or "OpenClaw runtime context" in head


def newest_marked(users: list[str]) -> str:
    """The newest non-internal user message carrying a scenario marker ("" if none)."""
    return next((u for u in reversed(users) if not is_internal(u) and MARKER.search(u)), "")


def attribute(users: list[str]) -> str | None:
    """The scenario of a request, from all its user messages (oldest first), internal context excluded.

    A `[[session:NAME]]` marker in the conversation's first user message claims the whole conversation (a
    sub-agent's task); otherwise the newest user message carrying a `[[scenario:NAME]]` marker decides,
    so an unmarked follow-up (a sub-agent's completion announce) counts for the turn that caused it.
    """
    real = [u for u in users if not is_internal(u)]
    if real and (session := SESSION_MARKER.search(real[0])):
        return session.group(1)
    for text in reversed(real):
        if marker := MARKER.search(text):
            return marker.group(1)
    return None


def read_turn(messages: list[dict[str, Any]]) -> Turn:
    tail: list[dict[str, Any]] = []
    for msg in reversed(messages):
        if msg.get("role") == "assistant":
            break
        tail.append(msg)
    tail.reverse()
    users = [t for m in tail if m.get("role") == "user" and not is_internal(t := text_of(m.get("content")))]
    # A turn that failed upstream leaves its user message without an assistant reply, so the next turn's
    # tail holds both; directives come only from the newest marked message (unmarked: the whole tail).
    marked = [t for t in users if MARKER.search(t)]
    user_text = marked[-1] if marked else "\n".join(users)
    results = [
        {"toolCallId": str(m.get("tool_call_id", "")), "content": text_of(m.get("content"))[:300]}
        for m in tail
        if m.get("role") == "tool"
    ]
    everyone = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    slow = SLOW.search(newest_marked(everyone))
    delay = float(slow.group(1)) if slow else 0.0
    return Turn(user_text, attribute(everyone), tool_results=results, delay_s=delay)


@dataclass
class Reply:
    text: str | None
    tool_calls: list[dict[str, str]]
    reasoning: str | None
    unoffered: list[str]


def plan_reply(turn: Turn, offered: set[str]) -> Reply:
    """Decide the answer: tool calls from directives, else text (a follow-up summarises the tool output)."""
    reasoning = REASONING_TEXT if THINK in turn.user_text else None
    if turn.tool_results:
        said = strip_directives(turn.tool_results[0]["content"])[:120].replace("\n", " ")
        return Reply("Done. Tool said: " + said, [], reasoning, [])
    calls, unoffered = [], []
    for name, args in tool_directives(turn.user_text):
        if offered and name not in offered:
            unoffered.append(name)
            continue
        calls.append({"id": "call_" + uuid.uuid4().hex[:16], "name": name, "arguments": json.dumps(args)})
    if calls:
        return Reply(None, calls, reasoning, unoffered)
    said = strip_directives(turn.user_text)[-80:].replace("\n", " ").strip()
    text = "Hello from the fake model. You said: " + said
    if unoffered:
        text = f"Tool(s) {', '.join(unoffered)} not offered to me. " + text
    return Reply(text, [], reasoning, unoffered)


def completion_tokens_of(reply: Reply) -> int:
    out = sum(8 + len(c["arguments"]) // 8 for c in reply.tool_calls)
    out += max(3, len(reply.text or "") // 4) if reply.text is not None else 0
    return out + (len(reply.reasoning) // 4 if reply.reasoning else 0)

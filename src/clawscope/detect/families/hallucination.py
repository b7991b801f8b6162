"""`hallucination`: claims the session's own records do not support.

* `hallucination.success-after-error`: a reply reports success as a verdict ("all 42 tests passed",
  "everything is green") right after the turn's last tool result failed (an error, or a non-zero exit:
  OpenClaw stores "(Command exited with code N)" with `isError: false`, §10), about the same thing
  as that call (they share content words: "tests" / `npm test`).
* `hallucination.failed-read-quoted`: a read of a file failed and the reply then quotes contents
  (`KEY=value`, `key: value`, code) that no successful tool output of the session contains.
* `hallucination.unbacked-work`: a reply reports work done in the first person ("I've deployed…",
  "I emailed…") in a session that has made no tool call at all up to it.
* `hallucination.unbacked-number`: a reply states a count of something ("1,250 orders") that an output
  of the turn counts too ("12 data/orders.csv"), and the number is in none of the session's tool
  outputs or human messages (nor a tally of an output's lines).

A reply that admits a failure, declines, or only plans ("I can deploy once you confirm") is not a claim.
Delegation (`sessions_spawn`/`sessions_send`) is `coordination_failure`'s to judge: work a sub-agent did
is not in this session's tool outputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.semantic import (
    ACTION_CLAIM,
    FAILURE_ACK,
    NUMBER,
    SUCCESS_VERDICT,
    Turn,
    entry_pos,
    excerpt,
    is_human,
    make_finding,
    numbers,
    param,
    replies,
    tools_between,
    topical,
    turns,
)
from clawscope.model.detection import Finding, FindingSeverity, SessionView, ToolUse

FAMILY = "hallucination"
_QUOTED = re.compile(
    r"\b[A-Z][A-Z0-9_]{2,}=\S+|^\s*[\w.-]+:\s+\S+|```|\b(sets|contains|says|reads|defines)\b\s+\S+", re.M
)
_ASSIGN = re.compile(r"\b[A-Z][A-Z0-9_]{2,}=[^\s,;]+|[\w.-]+:\s+[^\s,;]+")
# "1,250 orders": `(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)\s+([a-z][a-z-]{2,})` with the first digit taken before
# the look-behind (same matches; the engine skips to digits instead of trying every position)
_COUNT = re.compile(r"(\d(?<![\w.]\d)(?:\d{0,2}(?:,\d{3})+|\d*))\s+([a-z][a-z-]{2,})", re.I)
_DELEGATION = ("sessions_spawn", "sessions_send", "sessions_yield", "subagents")


def failed(t: ToolUse) -> bool:
    return t.status == "error" or (t.exit_code is not None and t.exit_code != 0)


def _turn_tools(view: SessionView, turn: Turn, before_pos: int) -> list[ToolUse]:
    pos = entry_pos(view)
    return [
        t
        for t in tools_between(view, turn.first_pos, before_pos)
        if pos.get(t.result_entry_id or t.call_entry_id or "", before_pos + 1) < before_pos
    ]


class SuccessAfterError:
    id: ClassVar[str] = "hallucination.success-after-error"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {"ignore_tools": list(_DELEGATION)}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        ignore = set(param(params, self.defaults, "ignore_tools"))
        if not any(failed(t) for t in view.tools):
            return  # the common case: nothing failed (tested first: it is cheaper than the verdicts)
        claims = {
            r.entry_id
            for r in replies(view.entries)
            if SUCCESS_VERDICT.search(r.text) and not FAILURE_ACK.search(r.text)
        }
        if not claims:
            return  # no verdict
        for turn in turns(view):
            for r in replies(turn.entries):
                if r.entry_id not in claims:
                    continue
                done = [t for t in _turn_tools(view, turn, r.pos) if t.name not in ignore]
                if not done or not failed(done[-1]):
                    continue
                last = done[-1]
                about = (
                    f"{last.exec_command or ''} {last.arguments} {last.output_text} {last.error_text or ''}"
                )
                if not topical(r.text, about):
                    continue  # the verdict is about something else than the call that failed
                yield make_finding(
                    self,
                    view,
                    anchor=r.entry_id,
                    entry_ids=[r.entry_id, last.call_entry_id, last.result_entry_id],
                    severity=FindingSeverity.WARNING,
                    confidence=0.85,
                    message=f"success claimed after {last.name} failed",
                    evidence={
                        "claim": excerpt(r.text),
                        "tool": last.name,
                        "exitCode": last.exit_code,
                        "error": excerpt(last.error_text or last.output_text, 200),
                    },
                )


def _backed(token: str, outputs: str) -> bool:
    value = re.split(r"[=:]\s*", token, maxsplit=1)[-1]
    return token in outputs or (len(value) >= 3 and value in outputs)


class FailedReadQuoted:
    id: ClassVar[str] = "hallucination.failed-read-quoted"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "read_tools": ["read"],
        "read_commands": r"^\s*(cat|head|tail|less|more|bat)\s",
    }

    def _is_read(self, t: ToolUse, params: dict[str, Any]) -> bool:
        if t.name in param(params, self.defaults, "read_tools"):
            return True
        cmd = t.exec_command or (t.arguments.get("command") if t.name == "exec" else None)
        return isinstance(cmd, str) and bool(re.match(param(params, self.defaults, "read_commands"), cmd))

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        if not any(failed(t) and self._is_read(t, params) for t in view.tools):
            return  # no read failed: nothing to quote from nowhere
        ok_out = "\n".join(t.output_text for t in view.tools if not failed(t))
        for turn in turns(view):
            for r in replies(turn.entries):
                done = _turn_tools(view, turn, r.pos)
                reads = [t for t in done if self._is_read(t, params)]
                if not reads or not failed(reads[-1]) or FAILURE_ACK.search(r.text):
                    continue
                if not _QUOTED.search(r.text):
                    continue
                quoted = [m.group(0) for m in _ASSIGN.finditer(r.text)]
                unbacked = [q for q in quoted if not _backed(q, ok_out)]
                if quoted and not unbacked:
                    continue
                bad = reads[-1]
                path = bad.arguments.get("path") or bad.arguments.get("file_path") or bad.exec_command
                yield make_finding(
                    self,
                    view,
                    anchor=r.entry_id,
                    entry_ids=[r.entry_id, bad.call_entry_id, bad.result_entry_id],
                    severity=FindingSeverity.WARNING,
                    confidence=0.8,
                    message=f"contents quoted after the read of {excerpt(str(path), 60)} failed",
                    evidence={
                        "path": path,
                        "error": excerpt(bad.error_text or bad.output_text, 200),
                        "quoted": [excerpt(q, 60) for q in unbacked[:5]],
                        "reply": excerpt(r.text),
                    },
                )


class UnbackedWork:
    id: ClassVar[str] = "hallucination.unbacked-work"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {"claim_pattern": ACTION_CLAIM.pattern}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        claim = re.compile(str(param(params, self.defaults, "claim_pattern")), re.I)
        pos = entry_pos(view)
        first_call = min((pos.get(t.call_entry_id or "", 1 << 30) for t in view.tools), default=1 << 30)
        for r in replies(view.entries):
            if r.pos > first_call:
                break
            m = claim.search(r.text)
            if m is None or FAILURE_ACK.search(r.text):
                continue
            asked = next((e for e in reversed(view.entries[: r.pos]) if is_human(e)), None)
            yield make_finding(
                self,
                view,
                anchor=r.entry_id,
                entry_ids=[r.entry_id],
                severity=FindingSeverity.WARNING,
                confidence=0.75,
                message=f"work reported with no tool call behind it: {excerpt(m.group(0), 60)}",
                evidence={
                    "claim": excerpt(r.text),
                    "verb": m.group(0),
                    "request": excerpt(asked.text, 120) if asked else None,
                    "toolCalls": 0,
                },
            )


def _known_numbers(view: SessionView) -> set[str]:
    """Every number the session's tool outputs and human messages state, and each output's line count
    (a count may be read off an output by counting its lines: `ls`, `grep`)."""
    seen = "\n".join(t.output_text for t in view.tools) + "\n".join(
        e.text for e in view.entries if is_human(e)
    )
    return numbers(seen) | {
        str(len([x for x in t.output_text.splitlines() if x.strip()])) for t in view.tools
    }


class UnbackedNumber:
    id: ClassVar[str] = "hallucination.unbacked-number"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {"ignore_tools": list(_DELEGATION), "min_value": 2}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        ignore = set(param(params, self.defaults, "ignore_tools"))
        known: set[str] | None = None  # built on the first candidate: most sessions state no counts
        if not view.tools or not any(_COUNT.search(r.text) for r in replies(view.entries)):
            return
        for turn in turns(view):
            for r in replies(turn.entries):
                done: list[ToolUse] | None = None  # the turn's calls so far, on the first count stated
                for m in _COUNT.finditer(r.text):
                    value, noun = m.group(1).replace(",", ""), m.group(2).lower()
                    if not noun.endswith("s") or noun.endswith("ss"):
                        continue  # a count of things ("1,250 orders"), not a date or a unit
                    stem = noun[:-1]
                    if int(value) < int(param(params, self.defaults, "min_value")):
                        continue
                    if done is None:
                        done = [
                            t
                            for t in _turn_tools(view, turn, r.pos)
                            if t.name not in ignore and not failed(t)
                        ]
                    if not done:
                        break
                    # does a tool output of the turn count that thing? (before the session's numbers:
                    # this is cheap and rarely true, they are every number of every output)
                    counted = [x for t in done for x in t.output_text.lower().splitlines() if stem in x]
                    if not any(NUMBER.search(x) for x in counted):
                        continue  # no tool output counts that thing: nothing to contradict
                    if known is None:
                        known = _known_numbers(view)
                    if value in known:
                        continue
                    tallies = {str(sum(stem in x.lower() for x in t.output_text.splitlines())) for t in done}
                    if value in tallies:
                        continue  # counted off one output: N of its lines name the thing
                    src = done[-1]
                    yield make_finding(
                        self,
                        view,
                        anchor=r.entry_id,
                        entry_ids=[r.entry_id, src.call_entry_id, src.result_entry_id],
                        severity=FindingSeverity.WARNING,
                        confidence=0.6,
                        message=f"'{m.group(0)}' appears in no tool output",
                        evidence={
                            "stated": m.group(0),
                            "toolNumbers": sorted(numbers(src.output_text))[:10],
                            "tool": src.name,
                            "reply": excerpt(r.text),
                        },
                    )
                    break


register(SuccessAfterError())
register(FailedReadQuoted())
register(UnbackedWork())
register(UnbackedNumber())

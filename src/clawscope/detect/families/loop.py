"""`loop`: an agent doing the same thing again without anything changing.

* `loop.repeated-call` — the same tool call (name + canonical arguments, every argument counts) made
  again and again while its result stays the same and nothing was written in between; reported with
  its pattern: one call repeated, an A-B alternation, or a longer cycle. Retrying once, polling whose
  answer moves on, paging with changing offsets, and re-running a test after an edit are progress.
* `loop.repeated-reply` — the same (non-trivial) reply sent turn after turn.
* `loop.openclaw-warning` — OpenClaw's own tool-loop warning, when its detector is enabled.
* `loop.spawn-repeat` — the same sub-agent task spawned again after each answer (ping-pong); two
  identical spawns in one message are duplicated work (`coordination_failure`), not a loop.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import (
    MUTATING_TOOLS,
    call_entries,
    call_key,
    failed,
    finding,
    normalized_output,
    request_text,
    turn_index,
)
from clawscope.model.detection import Finding, FindingSeverity, SessionView, ToolUse

SPAWN_TOOLS = frozenset({"sessions_spawn", "subagents"})


def _cycle(keys: list[str]) -> tuple[int, int, int] | None:
    """The longest-covering repeated cycle (start, period, repeats) in a sequence of call keys."""
    best: tuple[int, int, int] | None = None
    n = len(keys)
    for period in range(1, 5):
        for start in range(n):
            reps = 1
            while (
                start + (reps + 1) * period <= n
                and keys[start + reps * period : start + (reps + 1) * period] == keys[start : start + period]
            ):
                reps += 1
            distinct = len(set(keys[start : start + period])) == period
            if reps >= 2 and distinct and (best is None or reps * period > best[1] * best[2]):
                best = (start, period, reps)
    return best


class RepeatedCall:
    id: ClassVar[str] = "loop.repeated-call"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "loop"
    defaults: ClassVar[dict[str, Any]] = {"min_repeats": 3, "ignore_tools": ["process", "sessions_yield"]}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        skip = set(p["ignore_tools"]) | SPAWN_TOOLS
        tools = [t for t in view.tools if t.name not in skip and t.status != "pending"]
        groups: dict[str, list[int]] = {}
        turns = turn_index(view)
        for i, t in enumerate(tools):
            # a repeat counts within one turn: the same call after a new user request is an answer to it
            turn = turns.get(t.call_entry_id or "", 0)
            groups.setdefault(f"{turn} {call_key(t)}", []).append(i)
        looping: set[int] = set()
        for idxs in groups.values():
            if len(idxs) >= int(p["min_repeats"]):
                looping |= self._stuck(tools, idxs, int(p["min_repeats"]))
        if not looping:
            return []
        seq = [i for i in range(len(tools)) if i in looping]
        keys = [call_key(tools[i]) for i in seq]
        cyc = _cycle(keys)
        period = cyc[1] if cyc and cyc[2] >= 2 else 1
        pattern = {1: "the same call repeated", 2: "A-B alternation"}.get(period, f"a {period}-step cycle")
        involved = [tools[i] for i in seq]
        distinct = list(dict.fromkeys(keys))
        top = max(distinct, key=keys.count)
        first = involved[0]
        n_fail = sum(failed(t) for t in involved)
        sample = [
            {"tool": t.name, "arguments": t.arguments} for t in {call_key(t): t for t in involved}.values()
        ][:4]
        msg = f"{pattern}: {len(involved)} calls ({len(distinct)} distinct) with unchanged results"
        if n_fail == len(involved):
            msg += ", every one failing"
        return [
            finding(
                self,
                view,
                first.call_entry_id or first.result_entry_id or "",
                call_entries(involved),
                msg,
                {
                    "pattern": pattern,
                    "period": period,
                    "calls": len(involved),
                    "distinct": len(distinct),
                    "repeats": keys.count(top),
                    "failed": n_fail,
                    "repeated": sample,
                },
                FindingSeverity.WARNING,
                0.9 if keys.count(top) >= int(p["min_repeats"]) + 1 else 0.75,
            )
        ]

    @staticmethod
    def _stuck(tools: list[ToolUse], idxs: list[int], min_repeats: int) -> set[int]:
        """The members of the longest run of this call whose result never changed and between which
        nothing was written (a write, an edit or a patch is progress)."""
        best: list[int] = []
        run: list[int] = []
        outputs = {i: normalized_output(tools[i]) for i in idxs}
        for i in idxs:
            if run:
                prev = run[-1]
                wrote = any(t.name in MUTATING_TOOLS for t in tools[prev + 1 : i])
                same = outputs[i] == outputs[prev]
                if wrote or not same:
                    run = []
            run.append(i)
            if len(run) > len(best):
                best = list(run)
        return set(best) if len(best) >= min_repeats else set()


_TRIVIAL = re.compile(r"^(no_reply|announce_skip|heartbeat_ok|ok|done|thanks?)\W*$", re.I)


def _assistant_replies(view: SessionView) -> list[tuple[str, str, str]]:
    """(entry id, reply, request) of the last text reply of each turn (turns start at user messages)."""
    out: list[tuple[str, str, str]] = []
    last: tuple[str, str, str] | None = None
    request = ""
    for e in view.entries:
        if e.role == "user":
            if last:
                out.append(last)
            last = None
            request = e.text  # normalized only when two replies are compared (request_text)
        elif (
            e.role == "assistant"
            and e.text.strip()
            and e.record.get("message", {}).get("stopReason") != "error"
        ):
            last = (e.entry_id, e.text, request)
    if last:
        out.append(last)
    return out


class RepeatedReply:
    id: ClassVar[str] = "loop.repeated-reply"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "loop"
    defaults: ClassVar[dict[str, Any]] = {"min_turns": 3, "min_chars": 20}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        replies = _assistant_replies(view)
        run: list[tuple[str, str, str]] = []
        best: list[tuple[str, str, str]] = []
        for r in replies:
            norm = " ".join(r[1].lower().split())
            # the same answer to the same question (asked again, or by someone else) is no loop
            same = run and norm == " ".join(run[-1][1].lower().split())
            if same and request_text(r[2]) != request_text(run[-1][2]):
                run.append(r)
            else:
                run = [r]
            if len(run) > len(best):
                best = list(run)
        text = best[0][1].strip() if best else ""
        if len(best) < int(p["min_turns"]) or len(text) < int(p["min_chars"]) or _TRIVIAL.match(text):
            return []
        return [
            finding(
                self,
                view,
                best[0][0],
                [r[0] for r in best],
                f"the same reply sent {len(best)} turns in a row",
                {"reply": text[:200], "turns": len(best)},
                FindingSeverity.WARNING,
                0.85,
            )
        ]


def _task(t: ToolUse) -> str:
    task = t.arguments.get("task") or t.arguments.get("message") or ""
    return " ".join(str(task).lower().split()) + "|" + str(t.arguments.get("agentId") or "")


class SpawnRepeat:
    id: ClassVar[str] = "loop.spawn-repeat"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "loop"
    defaults: ClassVar[dict[str, Any]] = {"min_repeats": 3}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        spawns = [t for t in view.tools if t.name == "sessions_spawn" and _task(t).strip("|")]
        groups: dict[str, list[ToolUse]] = {}
        for t in spawns:
            groups.setdefault(_task(t), []).append(t)
        out = []
        for same in groups.values():
            # one spawn per assistant message: parallel duplicates are another failure
            sequential = list({t.call_entry_id: t for t in same}.values())
            if len(sequential) < int(p["min_repeats"]):
                continue
            first = sequential[0]
            out.append(
                finding(
                    self,
                    view,
                    first.call_entry_id or "",
                    call_entries(sequential),
                    f"the same sub-agent task spawned {len(sequential)} times, one after the other",
                    {
                        "task": str(first.arguments.get("task", ""))[:200],
                        "spawns": len(sequential),
                        "agentId": first.arguments.get("agentId"),
                    },
                    FindingSeverity.WARNING,
                    0.85,
                )
            )
        return out


_OPENCLAW_WARNING = re.compile(r"\[System note: Tool-loop warning after (\d+) repeated calls?\]")


class OpenClawWarning:
    """OpenClaw's own tool-loop detector (off by default) appends a system note to the tool result."""

    id: ClassVar[str] = "loop.openclaw-warning"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "loop"
    defaults: ClassVar[dict[str, Any]] = {}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:  # noqa: ARG002
        warned = [(t, m) for t in view.tools if (m := _OPENCLAW_WARNING.search(t.output_text))]
        if not warned:
            return []
        first, m = warned[0]
        return [
            finding(
                self,
                view,
                first.result_entry_id or first.call_entry_id or "",
                call_entries(t for t, _ in warned),
                f"OpenClaw warned of a tool loop after {m.group(1)} repeated calls of {first.name}",
                {
                    "tool": first.name,
                    "arguments": first.arguments,
                    "repeatedCalls": int(m.group(1)),
                    "warnings": len(warned),
                },
                FindingSeverity.WARNING,
                0.95,
            )
        ]


register(RepeatedCall())
register(OpenClawWarning())
register(RepeatedReply())
register(SpawnRepeat())

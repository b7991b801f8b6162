"""`tool_abuse`: tools used far more, more wastefully, less successfully or more riskily than a task needs.

* `tool_abuse.excessive-calls` — many calls in one assistant message (a fan-out where one call would
  do), in one turn, or in one session.
* `tool_abuse.redundant-calls` — the same call repeated with only ignored arguments changed
  (`timeoutSeconds`, `title`, `yieldMs`, …). Calls identical in every argument are `loop`, not this.
* `tool_abuse.error-rate` — a run of consecutive failing calls, or a session whose calls mostly fail,
  across several *different* calls (the same few calls failing again and again is a `loop`).
* `tool_abuse.sensitive-tools` — tools that reach the gateway's configuration, stored secrets, or
  another conversation's history.

Failures are read from every trace OpenClaw leaves (`common.failed`), not from `isError` alone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import call_entries, call_key, failed, finding
from clawscope.model.detection import Finding, FindingSeverity, SessionView, ToolUse


def _turns(view: SessionView) -> list[list[ToolUse]]:
    """Tool uses grouped by turn (a turn starts at each user message)."""
    pos = {e.entry_id: e.pos for e in view.entries}
    starts = [e.pos for e in view.entries if e.role == "user"]
    turns: dict[int, list[ToolUse]] = {}
    for t in view.tools:
        p = pos.get(t.call_entry_id or "", -1)
        turns.setdefault(bisect_left(starts, p), []).append(t)
    return [turns[k] for k in sorted(turns)]


class ExcessiveCalls:
    id: ClassVar[str] = "tool_abuse.excessive-calls"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "tool_abuse"
    defaults: ClassVar[dict[str, Any]] = {
        "max_calls_per_message": 20,
        "max_calls_per_turn": 25,
        "max_calls_per_session": 150,
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        by_msg: dict[str, list[ToolUse]] = {}
        for t in view.tools:
            by_msg.setdefault(t.call_entry_id or "", []).append(t)
        scopes: list[tuple[str, list[ToolUse], int]] = []
        scopes += [("message", ts, int(p["max_calls_per_message"])) for ts in by_msg.values()]
        scopes += [("turn", ts, int(p["max_calls_per_turn"])) for ts in _turns(view)]
        scopes.append(("session", list(view.tools), int(p["max_calls_per_session"])))
        for scope, tools, limit in scopes:
            if len(tools) <= limit:
                continue
            distinct = {call_key(t) for t in tools}
            if len(distinct) == 1:  # one call repeated is a loop
                continue
            names: dict[str, int] = {}
            for t in tools:
                names[t.name] = names.get(t.name, 0) + 1
            first = tools[0]
            return [
                finding(
                    self,
                    view,
                    first.call_entry_id or "",
                    call_entries(tools),
                    f"{len(tools)} tool calls in one {scope} (limit {limit})",
                    {
                        "scope": scope,
                        "calls": len(tools),
                        "limit": limit,
                        "distinct": len(distinct),
                        "tools": names,
                    },
                    FindingSeverity.WARNING,
                    min(0.95, 0.6 + 0.1 * len(tools) / limit),
                )
            ]
        return []


class RedundantCalls:
    id: ClassVar[str] = "tool_abuse.redundant-calls"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "tool_abuse"
    defaults: ClassVar[dict[str, Any]] = {
        "min_repeats": 3,
        "ignored_arguments": [
            "timeoutSeconds",
            "timeout",
            "timeoutMs",
            "title",
            "yieldMs",
            "description",
            "pty",
        ],
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        ignored = list(p["ignored_arguments"])
        groups: dict[str, list[ToolUse]] = {}
        for t in view.tools:
            groups.setdefault(call_key(t, ignored), []).append(t)
        out = []
        for same in groups.values():
            if len(same) < int(p["min_repeats"]) or not any(k in t.arguments for t in same for k in ignored):
                continue
            if len({call_key(t) for t in same}) < 2:  # identical in every argument: a loop, not this
                continue
            first = same[0]
            changed = sorted({k for t in same for k in t.arguments if k in ignored})
            out.append(
                finding(
                    self,
                    view,
                    first.call_entry_id or "",
                    call_entries(same),
                    f"{first.name} called {len(same)} times with only {', '.join(changed)} changed",
                    {
                        "tool": first.name,
                        "calls": len(same),
                        "changedArguments": changed,
                        "arguments": {k: v for k, v in first.arguments.items() if k not in ignored},
                    },
                    FindingSeverity.INFO,
                    0.85,
                )
            )
        return out


class ErrorRate:
    id: ClassVar[str] = "tool_abuse.error-rate"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "tool_abuse"
    defaults: ClassVar[dict[str, Any]] = {
        "consecutive_errors": 5,
        "min_calls": 6,
        "max_error_rate": 0.6,
        "min_distinct_failing": 4,
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        tools = [t for t in view.tools if t.status != "pending"]
        fails = [t for t in tools if failed(t)]
        distinct = {call_key(t) for t in fails}
        if len(distinct) < int(p["min_distinct_failing"]):
            return []
        best: list[ToolUse] = []
        run: list[ToolUse] = []
        for t in tools:
            run = [*run, t] if failed(t) else []
            if len(run) > len(best):
                best = run
        rate = len(fails) / len(tools)
        if len(best) >= int(p["consecutive_errors"]) and len({call_key(t) for t in best}) >= int(
            p["min_distinct_failing"]
        ):
            return [
                finding(
                    self,
                    view,
                    best[0].call_entry_id or "",
                    call_entries(best),
                    f"{len(best)} tool calls in a row failed",
                    {
                        "consecutive": len(best),
                        "failed": len(fails),
                        "calls": len(tools),
                        "errors": [_why(t) for t in best][:8],
                    },
                    FindingSeverity.WARNING,
                    0.85,
                )
            ]
        if len(tools) >= int(p["min_calls"]) and rate >= float(p["max_error_rate"]):
            return [
                finding(
                    self,
                    view,
                    fails[0].call_entry_id or "",
                    call_entries(fails),
                    f"{len(fails)} of {len(tools)} tool calls failed",
                    {
                        "failed": len(fails),
                        "calls": len(tools),
                        "rate": round(rate, 2),
                        "errors": [_why(t) for t in fails][:8],
                    },
                    FindingSeverity.WARNING,
                    0.8,
                )
            ]
        return []


def _why(t: ToolUse) -> dict[str, Any]:
    text = (t.error_text or t.output_text or "").strip()
    return {"tool": t.name, "exitCode": t.exit_code, "error": text.splitlines()[0][:160] if text else ""}


HISTORY_TOOLS = frozenset({"sessions_history", "sessions_search", "transcripts", "conversations_turn"})


class SensitiveTools:
    id: ClassVar[str] = "tool_abuse.sensitive-tools"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "tool_abuse"
    defaults: ClassVar[dict[str, Any]] = {
        "sensitive_tools": ["gateway", "secrets", "plugins"],
        "allowed_tools": [],
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        sensitive = set(p["sensitive_tools"]) - set(p["allowed_tools"])
        own = {view.session.key or ""} | {c.key for c in view.children if c.key}
        own |= {a.key for a in view.ancestors if a.key}
        hits: list[tuple[ToolUse, str]] = []
        for t in view.tools:
            if t.name in sensitive:
                hits.append((t, f"{t.name} {t.arguments.get('action', '')}".strip()))
            elif t.name in HISTORY_TOOLS and t.name not in p["allowed_tools"]:
                key = str(t.arguments.get("sessionKey") or t.arguments.get("key") or "").lower()
                if key and key not in own:
                    hits.append((t, f"{t.name} of another conversation ({key})"))
        if not hits:
            return []
        first = hits[0][0]
        return [
            finding(
                self,
                view,
                first.call_entry_id or "",
                call_entries(t for t, _ in hits),
                "sensitive tools used: " + "; ".join(dict.fromkeys(w for _, w in hits)),
                {"uses": [{"tool": t.name, "what": w, "arguments": t.arguments} for t, w in hits][:10]},
                FindingSeverity.WARNING,
                0.8,
            )
        ]


register(ExcessiveCalls())
register(RedundantCalls())
register(ErrorRate())
register(SensitiveTools())

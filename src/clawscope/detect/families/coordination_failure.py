"""`coordination_failure`: hand-offs between sessions that went wrong.

* `coordination_failure.failed-child`: a sub-agent failed or timed out (or ended `done` while its own
  last reply, the child's `result_text`, says it failed) and its parent then claimed
  success, or never followed up (no reply, or only `NO_REPLY`/`ANNOUNCE_SKIP`). The child's failure
  is not in the parent's transcript (openclaw-format.md §10): it is the child's status in the view's
  `children`; the parent's reply to it carries the run id `announce:v1:<child key>:…` (on the message in
  2026.9.x, on the `bootstrap-context` record that follows it in the JSONL era), else it is the first
  reply after the child ended. A parent that reports the failure, or delegates the task again, is fine.
* `coordination_failure.unknown-session`: `sessions_send` to a session key no session of the instance
  has (or that OpenClaw refused as unknown/not visible).
* `coordination_failure.duplicate-delegation`: the same task delegated twice while the first copy was
  still running (two identical spawns in one message, or a second before the first child ended).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.semantic import (
    FAILURE_ACK,
    SILENT,
    SUCCESS_VERDICT,
    entry_pos,
    excerpt,
    make_finding,
    param,
)
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionInfo, SessionView, ToolUse

FAMILY = "coordination_failure"
_CHILD_KEY = re.compile(r"agent:[\w.-]+:subagent:[0-9a-f-]{8,}", re.I)
# A child's last words that say the task itself was not done (not merely reporting something missing).
_GAVE_UP = re.compile(
    r"\b(could(n'?t| not) (finish|complete|do|run|get|reach|access|find)|(was|were)(n'?t| not) able to|"
    r"unable to|can(no|')t (finish|complete|do|access)|gave up|did(n'?t| not) (finish|complete|work)|"
    r"(task|run|job|migration|build|deploy\w*|it) failed|failed to)\b",
    re.I,
)
_DONE_CLAIM = re.compile(
    r"\b(is|are|was|were|has been|have been)\s+(done|finished|complete[d]?|ready|translated|written|"
    r"updated|sent|scheduled|deployed|fixed|migrated|crawled|drafted)\b|\b(done|finished|completed)\b",
    re.I,
)


def _spawns(view: SessionView, tools: list[str]) -> list[tuple[ToolUse, str | None]]:
    """Each spawn call with the child key its result names (None when it names none)."""
    out = []
    for t in view.tools:
        if t.name in tools:
            m = _CHILD_KEY.search(t.output_text)
            out.append((t, m.group(0).lower() if m else None))
    return out


def _announce_reply(view: SessionView, child: SessionInfo, after_pos: int) -> EntryView | None:
    """The parent's reply to the child's completion."""
    key = (child.key or "").lower()
    by_id = {e.entry_id: e for e in view.entries}
    for e in view.entries:
        rid = (e.run_id or "").lower()
        if not rid and e.type == "custom" and isinstance(e.record.get("data"), dict):
            rid = str(e.record["data"].get("runId") or "").lower()
            parent = by_id.get(str(e.record.get("parentId")))
            if rid.startswith("announce:v1:" + key) and parent is not None and parent.role == "assistant":
                return parent
            continue
        if e.role == "assistant" and rid.startswith("announce:v1:" + key):
            return e
    if child.last_ms is not None:
        for e in view.entries:
            if e.pos > after_pos and e.role == "assistant" and (e.ts_ms or 0) >= child.last_ms:
                return e
    return None


class FailedChild:
    id: ClassVar[str] = "coordination_failure.failed-child"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "failed_statuses": ["failed", "timeout", "killed", "error", "aborted"],
        "spawn_tools": ["sessions_spawn"],
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        failed = {str(s).lower() for s in param(params, self.defaults, "failed_statuses")}
        spawn_tools = param(params, self.defaults, "spawn_tools")
        children = {(c.key or "").lower(): c for c in view.children}
        pos = entry_pos(view)
        spawns = _spawns(view, spawn_tools)
        for t, key in spawns:
            child = children.get(key or "")
            status = _outcome(child, failed) if child is not None else None
            if child is None or status is None:
                continue
            after = pos.get(t.result_entry_id or t.call_entry_id or "", 0)
            reply = _announce_reply(view, child, after)
            later = [e for e in view.entries if e.pos > after and e.role == "assistant" and e.text.strip()]
            start = reply.pos if reply is not None else after
            follow = [e for e in later if e.pos >= start and e.text.strip() not in SILENT]
            if any(FAILURE_ACK.search(e.text) for e in follow):
                continue  # the parent said so (or retried)
            task = str(t.arguments.get("task") or "")
            again = [o for o, _ in spawns if o.call_entry_id != t.call_entry_id]
            if any(
                pos.get(o.call_entry_id or "", 0) > after and str(o.arguments.get("task") or "") == task
                for o in again
            ):
                continue  # delegated again
            claim = next(
                (e for e in follow if SUCCESS_VERDICT.search(e.text) or _DONE_CLAIM.search(e.text)), None
            )
            anchor: EntryView | None
            if claim is not None:
                how, anchor, sev = "claimed success", claim, FindingSeverity.CRITICAL
            elif not follow:
                how, anchor, sev = "never followed up", reply, FindingSeverity.WARNING
            else:
                continue  # it said something that neither claims success nor admits the failure
            yield make_finding(
                self,
                view,
                anchor=t.call_entry_id or "",
                entry_ids=[t.call_entry_id, t.result_entry_id, anchor.entry_id if anchor else None],
                severity=sev,
                confidence=0.85 if claim is not None else 0.7,
                message=f"sub-agent {status}; the parent {how}",
                evidence={
                    "child": child.key,
                    "childSessionId": child.session_id,
                    "childStatus": status,
                    "task": excerpt(task, 120),
                    "parentReply": excerpt(anchor.text, 160) if anchor else None,
                    "outcome": "claimed-success" if claim is not None else "no-follow-up",
                    # who lost the run, and where: the child failed in its own records (its session);
                    # the parent's step is where it missed that (claimed success or said nothing)
                    "responsibleAgent": _agent_of(child),
                    "responsibleSessionId": child.session_id,
                    "decisiveStep": {"sessionId": child.session_id, "what": f"child run ended {status}"},
                    "parentStep": anchor.entry_id if anchor else t.call_entry_id,
                    "tier": "offline",
                },
            )


def _agent_of(child: SessionInfo) -> str | None:
    """The child's agent id (recorded, else the one its key names: `agent:<id>:subagent:…`)."""
    if child.agent:
        return child.agent
    parts = (child.key or "").split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "agent" else None


def _outcome(child: SessionInfo, failed: set[str]) -> str | None:
    """How the child failed: its status, or "reported-failure" when it ended `done` but its own last
    reply (`result_text`) says it could not finish."""
    status = (child.status or "").lower()
    if status in failed:
        return status
    said = child.result_text
    if said and _GAVE_UP.search(said) and not SUCCESS_VERDICT.search(said):
        return "reported-failure"
    return None


_KNOWN: list[tuple[frozenset[str], frozenset[str]]] = [(frozenset(), frozenset())]


def _known_keys(keys: frozenset[str]) -> frozenset[str]:
    """The instance's session keys lower-cased; the sessions of one instance share one set (reused)."""
    given, lowered = _KNOWN[0]
    if given is keys:
        return lowered
    lowered = frozenset(k.lower() for k in keys)
    _KNOWN[0] = (keys, lowered)
    return lowered


def _resolve(key: str, agent: str | None) -> str:
    k = key.strip().lower()
    return k if k.startswith("agent:") or not agent else f"agent:{agent.lower()}:{k}"


class UnknownSession:
    id: ClassVar[str] = "coordination_failure.unknown-session"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {
        "send_tools": ["sessions_send"],
        "refusal": r"no session|not found|unknown session|does not exist|forbidden|not visible",
    }

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        sends = [t for t in view.tools if t.name in param(params, self.defaults, "send_tools")]
        if not sends:
            return  # most sessions send nothing: no key set to build
        refusal = re.compile(str(param(params, self.defaults, "refusal")), re.I)
        known = _known_keys(view.known_session_keys)
        for t in sends:
            raw = t.arguments.get("sessionKey") or t.arguments.get("key")
            if not isinstance(raw, str) or not raw.strip():
                continue
            key = _resolve(raw, view.session.agent)
            missing = bool(known) and key not in known
            refused = t.status == "error" and bool(refusal.search(t.output_text or t.error_text or ""))
            if not (missing or refused):
                continue
            yield make_finding(
                self,
                view,
                anchor=t.call_entry_id or "",
                entry_ids=[t.call_entry_id, t.result_entry_id],
                severity=FindingSeverity.WARNING,
                confidence=0.9 if missing else 0.7,
                message=f"message sent to a session that does not exist: {excerpt(raw, 80)}",
                evidence={
                    "sessionKey": raw,
                    "known": not missing,
                    "status": t.status,
                    "responsibleAgent": view.session.agent,
                    "parentStep": t.call_entry_id,
                    "tier": "offline",
                },
            )


class DuplicateDelegation:
    id: ClassVar[str] = "coordination_failure.duplicate-delegation"
    version: ClassVar[int] = 2
    family: ClassVar[str] = FAMILY
    defaults: ClassVar[dict[str, Any]] = {"spawn_tools": ["sessions_spawn"]}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        children = {(c.key or "").lower(): c for c in view.children}
        seen: dict[tuple[str, str], tuple[ToolUse, str | None]] = {}
        anchors: set[str] = set()
        for t, key in _spawns(view, param(params, self.defaults, "spawn_tools")):
            task = " ".join(str(t.arguments.get("task") or "").lower().split())
            if not task:
                continue
            ident = (task, str(t.arguments.get("agentId") or ""))
            first = seen.get(ident)
            if first is None:
                seen[ident] = (t, key)
                continue
            ft, fkey = first
            running = ft.call_entry_id == t.call_entry_id
            child = children.get(fkey or "")
            if not running and child is not None and child.last_ms is not None and t.ts_ms is not None:
                running = t.ts_ms < child.last_ms and (child.status or "").lower() in ("running", "done", "")
            if not running or (t.call_entry_id or "") in anchors:
                seen[ident] = (t, key) if not running else first
                continue
            anchors.add(t.call_entry_id or "")
            yield make_finding(
                self,
                view,
                anchor=t.call_entry_id or "",
                entry_ids=[ft.call_entry_id, ft.result_entry_id, t.call_entry_id, t.result_entry_id],
                severity=FindingSeverity.WARNING,
                confidence=0.9,
                message=f"the same task delegated twice at once: {excerpt(task, 80)}",
                evidence={
                    "task": excerpt(task, 160),
                    "children": [fkey, key],
                    "responsibleAgent": view.session.agent,
                    "parentStep": t.call_entry_id,
                    "tier": "offline",
                },
            )


register(FailedChild())
register(UnknownSession())
register(DuplicateDelegation())

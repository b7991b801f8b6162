"""Events for what an ingest unit newly stored, computed inside the unit's transaction.

The rule that keeps a big history from flooding subscribers:
* one `session.updated` per session whose roll-ups changed (with the deltas), always;
* one `llm.call` / `tool.call` per newly stored call, and one `problem` per new problem, only when
  the unit is small (at most `DETAIL_LIMIT` candidate calls and results: live tailing, a webhook);
  a bigger unit (a history import) gets the per-session summaries and, for problems, one `problem`
  event with `{"count", "codes"}`.
"Newly stored" is decided against the rows present before the unit's writes, so a re-read of the
same transcript emits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, text, tuple_

from clawscope.model import Problem, TranscriptBatch
from clawscope.money import to_nano, usd
from clawscope.store import schema
from clawscope.store.engine import execute_in
from clawscope.store.events import Event

DETAIL_LIMIT = 100
_ROLL = (
    "n_llm_calls",
    "n_tool_calls",
    "n_errors",
    "n_tool_errors",
    "total_tokens",
    "cost_usd",
    "est_cost_usd",
    "n_entries",
)


def _chunks(items: list[Any], n: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Probe:
    """Snapshot before the unit's writes; `collect()` after them (same transaction)."""

    def __init__(
        self,
        conn: Connection,
        by_sid: dict[int, list[TranscriptBatch]],
        problems: list[Problem],
    ) -> None:
        self.by_sid = by_sid
        self.problems = problems
        # a row without entries (made by this unit's metadata upsert) is not "before" data
        self.before = {k: v for k, v in _rollups(conn, list(by_sid)).items() if v["n_entries"]}
        self.after: dict[int, dict[str, Any]] = {}  # (set by `collect`)
        n = sum(
            len(b.llm_calls) + len(b.tool_calls) + len(b.tool_results) for bs in by_sid.values() for b in bs
        )
        self.detailed = n <= DETAIL_LIMIT
        self.old_llm: set[tuple[int, str]] = set()
        self.old_tools: dict[tuple[int, str], bool] = {}  # key -> had a call and a result
        if self.detailed and n:
            # calls are stored only with their entries: a session that had none had no calls (a webhook's
            # new session needs no look-up)
            self.old_llm = _existing_llm(conn, [k for k in self._llm_keys() if k[0] in self.before])
            self.old_tools = _existing_tools(conn, [k for k in self._tool_keys() if k[0] in self.before])
        self.old_problems = _existing_problems(conn, problems)

    def _llm_keys(self) -> list[tuple[int, str]]:
        return [(sid, c.entry_id) for sid, bs in self.by_sid.items() for b in bs for c in b.llm_calls]

    def _tool_keys(self) -> list[tuple[int, str]]:
        keys = {(sid, t.call_id) for sid, bs in self.by_sid.items() for b in bs for t in b.tool_calls}
        keys |= {(sid, r.call_id) for sid, bs in self.by_sid.items() for b in bs for r in b.tool_results}
        return sorted(keys)

    def counts(self, after: bool) -> dict[int, tuple[int, int, int]]:
        """(entries, model calls, tool calls) of the unit's sessions before its writes, or after them (once
        `collect` ran); a session without entries before counts as none."""
        rows = self.after if after else self.before
        return {sid: (r["n_entries"], r["n_llm_calls"], r["n_tool_calls"]) for sid, r in rows.items()}

    def collect(self, conn: Connection) -> list[Event]:
        after = self.after = _rollups(conn, list(self.by_sid))
        out: list[Event] = []
        for sid, row in after.items():
            old = self.before.get(sid)
            if old is None and not row["n_entries"]:
                continue
            if old is not None and all(old[c] == row[c] for c in _ROLL):
                continue
            out.append(_session_event(row, old))
        if self.detailed:
            out += self._llm_events(after)
            out += self._tool_events(conn, after)
        out += self._problem_events()
        return out

    def _llm_events(self, sess: dict[int, dict[str, Any]]) -> list[Event]:
        out = []
        for sid, bs in self.by_sid.items():
            s = sess.get(sid, {})
            for b in bs:
                for c in b.llm_calls:
                    if (sid, c.entry_id) in self.old_llm:
                        continue
                    u, cost = c.usage, c.cost
                    payload = {
                        "entryId": c.entry_id,
                        "provider": c.provider,
                        "model": c.model,
                        "stopReason": c.stop_reason,
                        "isError": c.is_error,
                        "tokensIn": u.input if u else 0,
                        "tokensOut": u.output if u else 0,
                        "cacheRead": u.cache_read if u else 0,
                        "cacheWrite": u.cache_write if u else 0,
                        "totalTokens": u.total if u else 0,
                        "costUSD": usd(to_nano(cost.total)) if cost else None,  # as stored
                        "latencyMs": c.latency_ms,
                        "runId": c.run_id,
                        "source": "transcript",
                    }
                    out.append(_ev("llm.call", s, payload, c.ts_ms))
        return out

    def _tool_events(self, conn: Connection, sess: dict[int, dict[str, Any]]) -> list[Event]:
        keys = self._tool_keys()
        if not keys:
            return []
        tc = schema.tool_calls
        out = []
        for chunk in _chunks(keys):
            stmt = (
                tc.select()
                .with_only_columns(
                    tc.c.sid,
                    tc.c.call_id,
                    tc.c.name,
                    tc.c.status,
                    tc.c.duration_ms,
                    tc.c.ts_ms,
                    tc.c.result_ts_ms,
                    tc.c.error_text,
                    tc.c.call_entry_id,
                    tc.c.result_entry_id,
                )
                .where(tuple_(tc.c.sid, tc.c.call_id).in_(chunk))
            )
            for r in conn.execute(stmt).all():
                if r.call_entry_id is None:
                    continue  # a result whose call is not stored yet: reported when the call is
                was_complete = self.old_tools.get((r.sid, r.call_id))
                now_complete = r.result_entry_id is not None
                if was_complete is not None and (was_complete or not now_complete):
                    continue  # nothing new about this call
                payload = {
                    "callId": r.call_id,
                    "name": r.name,
                    "status": r.status,
                    "durationMs": r.duration_ms,
                    "error": (r.error_text or "")[:500] or None,
                    "source": "transcript",
                }
                out.append(_ev("tool.call", sess.get(r.sid, {}), payload, r.result_ts_ms or r.ts_ms))
        return out

    def _problem_events(self) -> list[Event]:
        new: dict[tuple[str, str, str], Problem] = {}
        for p in self.problems:
            key = (p.path, p.location, str(p.code))
            if key not in self.old_problems:
                new.setdefault(key, p)
        if not new:
            return []
        if len(new) > DETAIL_LIMIT:
            codes: dict[str, int] = {}
            for p in new.values():
                codes[str(p.code)] = codes.get(str(p.code), 0) + 1
            return [Event("problem", {"count": len(new), "codes": codes})]
        return [
            Event(
                "problem",
                {
                    "count": 1,
                    "code": str(p.code),
                    "severity": str(p.severity),
                    "reason": p.reason,
                    "source": p.source,
                    "path": p.path,
                    "location": p.location,
                },
            )
            for p in new.values()
        ]


def _ev(type_: str, s: dict[str, Any], payload: dict[str, Any], ts_ms: int | None) -> Event:
    kwargs: dict[str, Any] = {} if ts_ms is None else {"ts_ms": ts_ms}
    return Event(
        type_,
        payload,
        agent=s.get("agent_id"),
        session_id=s.get("session_id"),
        kind=s.get("kind"),
        instance=s.get("instance"),
        **kwargs,
    )


def _session_event(row: dict[str, Any], old: dict[str, Any] | None) -> Event:
    def delta(c: str) -> Any:
        return row[c] - (old[c] if old else 0)

    payload = {
        "key": row["key"],
        "status": row["status"],
        "trigger": row["trigger"],
        "lastAt": row["last_ms"],
        "messages": row["n_messages"],
        "llmCalls": row["n_llm_calls"],
        "toolCalls": row["n_tool_calls"],
        "errors": row["n_errors"],
        "toolErrors": row["n_tool_errors"],
        "totalTokens": row["total_tokens"],
        "costUSD": usd(row["cost_usd"]),
        "estimatedCostUSD": usd(row["est_cost_usd"]),
        "new": {
            "entries": delta("n_entries"),
            "llmCalls": delta("n_llm_calls"),
            "toolCalls": delta("n_tool_calls"),
            "totalTokens": delta("total_tokens"),
            "costUSD": usd(delta("cost_usd")),  # nano-dollars: the deltas add up exactly
        },
        "created": old is None,
        "source": "transcript",
    }
    return _ev("session.updated", row, payload, None)


_SESSION_ROWS = text(
    "SELECT sid, session_id, agent_id, kind, instance, key, status, trigger, last_ms, n_messages, "
    + ", ".join(_ROLL)
    + " FROM sessions WHERE sid IN :sids"
)


def _rollups(conn: Connection, sids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(sids)):  # (ids inlined: no statement to compile per unit)
        for r in execute_in(conn, _SESSION_ROWS, "sids", chunk).all():
            out[int(r.sid)] = dict(r._mapping)
    return out


def _existing_llm(conn: Connection, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
    t = schema.llm_calls
    found: set[tuple[int, str]] = set()
    for chunk in _chunks(keys):
        stmt = (
            t.select()
            .with_only_columns(t.c.sid, t.c.entry_id)
            .where(tuple_(t.c.sid, t.c.entry_id).in_(chunk))
        )
        found.update((int(r[0]), r[1]) for r in conn.execute(stmt).all())
    return found


def _existing_tools(conn: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], bool]:
    t = schema.tool_calls
    found: dict[tuple[int, str], bool] = {}
    for chunk in _chunks(keys):
        stmt = (
            t.select()
            .with_only_columns(t.c.sid, t.c.call_id, t.c.call_entry_id, t.c.result_entry_id)
            .where(tuple_(t.c.sid, t.c.call_id).in_(chunk))
        )
        for r in conn.execute(stmt).all():
            if r.call_entry_id is not None:
                found[(int(r.sid), r.call_id)] = r.result_entry_id is not None
    return found


def _existing_problems(conn: Connection, problems: list[Problem]) -> set[tuple[str, str, str]]:
    paths = sorted({p.path for p in problems})
    if not paths:
        return set()
    stmt = text("SELECT path, location, code FROM problems WHERE path IN :paths").bindparams(
        bindparam("paths", expanding=True)
    )
    found: set[tuple[str, str, str]] = set()
    for chunk in _chunks(paths):
        found.update((r[0], r[1], r[2]) for r in conn.execute(stmt, {"paths": chunk}).all())
    return found

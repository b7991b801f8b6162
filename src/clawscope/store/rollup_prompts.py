"""Prompt sizes of a period from roll-ups (revision 0025): the mean and largest prompt (input + cache
read + cache write tokens) of the model calls that reported usage, without scanning every call.

`/stats/sessions` averaged the prompt over every model call of the period (a full scan of `llm_calls`).
`refresh(conn, sids)` rebuilds `rollup_prompt_sid` (session × UTC hour: calls, summed and largest
prompt, with the session's attributes) for these sessions, then `rollup_prompt_daily` (day ×
attributes) for every day those rows had or have: recomputed, never incremented (a maximum cannot be
taken back). A period of whole hours reads its whole days from the daily rows and its partial days
from the per-session ones; count, sum and maximum are exact, so the mean is too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.engine import execute_in
from clawscope.store.sql_filters import DAY_MS, branch_where, day_parts

_CHUNK = 500
_ATTRS = "instance, agent, kind, channel"
_HOUR = "CASE WHEN l.ts_ms IS NULL THEN -1 ELSE (l.ts_ms / 3600000) * 3600000 END"
_PROMPT = "(l.input + l.cache_read + l.cache_write)"
_S = "s.instance, COALESCE(s.agent_id, ''), s.kind, COALESCE(s.channel, '')"
_DAY = f"CASE WHEN hour_ms < 0 THEN -1 ELSE (hour_ms / {DAY_MS}) * {DAY_MS} END"

_HOURS = text("SELECT DISTINCT hour_ms FROM rollup_prompt_sid WHERE sid IN :sids")
_DELETE = text("DELETE FROM rollup_prompt_sid WHERE sid IN :sids")
_BUILD = text(f"""
INSERT INTO rollup_prompt_sid (sid, hour_ms, {_ATTRS}, calls, total, peak)
SELECT l.sid, {_HOUR}, {_S}, count(*), sum({_PROMPT}), max({_PROMPT})
FROM llm_calls l JOIN sessions s ON s.sid = l.sid
WHERE l.sid IN :sids AND l.has_usage
GROUP BY l.sid, {_HOUR}, {_S}""")
_PER_DAY = (
    text("DELETE FROM rollup_prompt_daily WHERE day_ms >= :lo AND day_ms < :hi"),
    text(f"""
INSERT INTO rollup_prompt_daily (day_ms, {_ATTRS}, calls, total, peak)
SELECT {_DAY}, {_ATTRS}, sum(calls), sum(total), max(peak)
FROM rollup_prompt_sid WHERE hour_ms >= :lo AND hour_ms < :hi
GROUP BY {_DAY}, {_ATTRS}"""),
)


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    """Rebuild these sessions' rows and the days they had or have (in the caller's write transaction)."""
    ordered = sorted(set(sids))
    hours: set[int] = set()
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i : i + _CHUNK]
        hours |= {int(r[0]) for r in execute_in(conn, _HOURS, "sids", chunk)}
        execute_in(conn, _DELETE, "sids", chunk)
        execute_in(conn, _BUILD, "sids", chunk)
        hours |= {int(r[0]) for r in execute_in(conn, _HOURS, "sids", chunk)}
    for d in sorted({-1 if h < 0 else h // DAY_MS * DAY_MS for h in hours}):
        lo, hi = (-(2**62), 0) if d < 0 else (d, d + DAY_MS)
        for stmt in _PER_DAY:
            conn.execute(stmt, {"lo": lo, "hi": hi})


def rebuild(conn: Connection) -> None:
    """Both tables from the model calls, from scratch (the migration that adds them, repair)."""
    conn.execute(text("DELETE FROM rollup_prompt_sid"))
    sids = [int(r[0]) for r in conn.execute(text("SELECT DISTINCT sid FROM llm_calls"))]
    for i in range(0, len(sids), _CHUNK):
        execute_in(conn, _BUILD, "sids", sids[i : i + _CHUNK])
    for stmt in _PER_DAY:
        conn.execute(stmt, {"lo": -(2**62), "hi": 2**62})


def _branch(table: str, time: str, f: Filters, p: dict[str, Any], n: int) -> str:
    clause = branch_where(f, f"r.{time}", p, n, dated=f"r.{time} >= 0")
    return f"SELECT r.calls, r.total, r.peak FROM {table} r WHERE {clause}"


def prompt_sizes(conn: Connection, f: Filters) -> dict[str, Any]:
    """`avg_prompt` and `max_prompt` of the period `f` (whole UTC hours), as `ContextUse.prompt_sizes`."""
    whole, edges = day_parts(f)
    p: dict[str, Any] = {}
    parts = [] if whole is None else [_branch("rollup_prompt_daily", "day_ms", whole, p, 0)]
    parts += [_branch("rollup_prompt_sid", "hour_ms", e, p, n) for n, e in enumerate(edges, start=1)]
    sql = f"SELECT sum(x.calls), sum(x.total), max(x.peak) FROM ({' UNION ALL '.join(parts)}) x"
    n, total, peak = conn.execute(text(sql), p).one()
    if not n:
        return {"avg_prompt": None, "max_prompt": None}
    return {"avg_prompt": int(total) / int(n), "max_prompt": int(peak)}

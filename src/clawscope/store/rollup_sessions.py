"""Session roll-ups: per-session totals recomputed from the rows themselves, never incremented.

Recomputing keeps them exact and idempotent (a re-read, a crash, a deletion cannot skew them); the
statements touch only the sessions a write changed. The same pass rebuilds the analytics roll-up tables
for those sessions (see rollup_hours.py), which stats read instead of millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, text

from clawscope import faults
from clawscope.store.engine import execute_in
from clawscope.store.rollup_hours import refresh_analytics

# Roll-ups: reset, then one grouped pass per table (UPDATE … FROM: SQLite ≥ 3.33 and PostgreSQL).
_ROLLUPS = [
    text("""
UPDATE sessions SET n_entries = 0, n_messages = 0, n_llm_calls = 0, n_errors = 0, tokens_in = 0,
  tokens_out = 0, cache_read = 0, cache_write = 0, total_tokens = 0, cost_usd = 0, est_cost_usd = 0,
  n_tool_calls = 0, n_tool_errors = 0, n_compactions = 0
WHERE sid IN :sids"""),
    text("""
UPDATE sessions SET n_entries = a.n, n_messages = a.m, first_ms = a.f, last_ms = a.l
FROM (SELECT sid, count(*) AS n, sum(CASE WHEN type = 'message' THEN 1 ELSE 0 END) AS m,
             min(ts_ms) AS f, max(ts_ms) AS l
      FROM entries WHERE sid IN :sids GROUP BY sid) AS a
WHERE sessions.sid = a.sid"""),
    text("""
UPDATE sessions SET n_llm_calls = a.n, n_errors = a.e, tokens_in = a.i, tokens_out = a.o, cache_read = a.r,
  cache_write = a.w, total_tokens = a.t, cost_usd = a.c, est_cost_usd = a.x
FROM (SELECT sid, count(*) AS n, sum(CASE WHEN is_error THEN 1 ELSE 0 END) AS e, sum(input) AS i,
             sum(output) AS o, sum(cache_read) AS r, sum(cache_write) AS w, sum(total_tokens) AS t,
             COALESCE(sum(cost_total), 0) AS c, COALESCE(sum(est_cost), 0) AS x
      FROM llm_calls WHERE sid IN :sids GROUP BY sid) AS a
WHERE sessions.sid = a.sid"""),
    text("""
UPDATE sessions SET n_tool_calls = a.n, n_tool_errors = a.e
FROM (SELECT sid, count(*) AS n, sum(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS e
      FROM tool_calls WHERE sid IN :sids AND call_entry_id IS NOT NULL GROUP BY sid) AS a
WHERE sessions.sid = a.sid"""),
    text("""
UPDATE sessions SET n_compactions = a.n
FROM (SELECT sid, count(*) AS n FROM compactions WHERE sid IN :sids GROUP BY sid) AS a
WHERE sessions.sid = a.sid"""),
]

_ROLLUPS = [stmt.bindparams(bindparam("sids", expanding=True)) for stmt in _ROLLUPS]


def refresh_rollups(conn: Connection, sids: Iterable[int]) -> None:
    """Recompute the roll-up columns of these sessions from their rows, and their analytics roll-ups."""
    ordered = refresh_counts(conn, sids)
    refresh_analytics(conn, ordered)


def refresh_counts(conn: Connection, sids: Iterable[int]) -> list[int]:
    """Recompute only the roll-up columns of these sessions' own rows (what `session.updated` events and
    a writer's counts read); returns the sessions, sorted. The analytics roll-ups are then owed."""
    ordered = sorted(sids)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        for stmt in _ROLLUPS:
            execute_in(conn, stmt, "sids", chunk)
            faults.point("mid-rollup")
    return ordered

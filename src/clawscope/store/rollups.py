"""Session roll-ups: per-session totals recomputed from the rows themselves, never incremented.

Recomputing keeps them exact and idempotent (a re-read, a crash, a deletion cannot skew them); the
statements touch only the sessions a write changed. The same pass rebuilds those sessions' rows of the
analytics roll-up tables (`rollup_calls`, `rollup_entries`), which stats read instead of millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, bindparam, text

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

# The analytics roll-up tables (revision 0005): the touched sessions' rows are dropped and rebuilt.
_LATENCY = "CASE WHEN l.started_ms IS NOT NULL AND l.ts_ms >= l.started_ms THEN l.ts_ms - l.started_ms END"
_HOUR = "CASE WHEN {ts} IS NULL THEN -1 ELSE ({ts} / 3600000) * 3600000 END"
_ROLLUPS += [
    text("DELETE FROM rollup_calls WHERE sid IN :sids"),
    text("DELETE FROM rollup_entries WHERE sid IN :sids"),
    text(f"""
INSERT INTO rollup_calls (sid, hour_ms, turn_trigger, provider, model, llm_calls, errors, tokens_in,
  tokens_out, cache_read, cache_write, total_tokens, cost, est_cost, tool_calls, tool_errors, latency_sum,
  latency_n)
SELECT sid, h, tt, pv, md, sum(n), sum(e), sum(i), sum(o), sum(r), sum(w), sum(t), sum(c), sum(x),
       sum(tc), sum(te), COALESCE(sum(ls), 0), count(ls)
FROM (SELECT l.sid, {_HOUR.format(ts="l.ts_ms")} AS h, COALESCE(l.turn_trigger, '') AS tt,
             COALESCE(l.provider, '') AS pv, COALESCE(l.model, 'unknown') AS md, 1 AS n,
             CASE WHEN l.is_error THEN 1 ELSE 0 END AS e, l.input AS i, l.output AS o, l.cache_read AS r,
             l.cache_write AS w, l.total_tokens AS t, COALESCE(l.cost_total, 0) AS c,
             COALESCE(l.est_cost, 0) AS x, 0 AS tc, 0 AS te, {_LATENCY} AS ls
      FROM llm_calls l WHERE l.sid IN :sids
      UNION ALL
      SELECT t.sid, {_HOUR.format(ts="t.ts_ms")}, COALESCE(l.turn_trigger, ''), COALESCE(l.provider, ''),
             COALESCE(l.model, 'unknown'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
             CASE WHEN t.status = 'error' THEN 1 ELSE 0 END, NULL
      FROM tool_calls t LEFT JOIN llm_calls l ON l.sid = t.sid AND l.entry_id = t.call_entry_id
      WHERE t.sid IN :sids AND t.call_entry_id IS NOT NULL) AS x
GROUP BY sid, h, tt, pv, md"""),
    text(f"""
INSERT INTO rollup_entries (sid, hour_ms, turn_trigger, entries, messages)
SELECT sid, h, tt, count(*), sum(m)
FROM (SELECT sid, {_HOUR.format(ts="ts_ms")} AS h, COALESCE(turn_trigger, '') AS tt,
             CASE WHEN type = 'message' THEN 1 ELSE 0 END AS m
      FROM entries WHERE sid IN :sids) AS x
GROUP BY sid, h, tt"""),
]
_ROLLUPS = [stmt.bindparams(bindparam("sids", expanding=True)) for stmt in _ROLLUPS]


def refresh_rollups(conn: Connection, sids: Iterable[int]) -> None:
    """Recompute the roll-up columns of these sessions from their rows."""
    ordered = sorted(sids)
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        for stmt in _ROLLUPS:
            conn.execute(stmt, {"sids": chunk})

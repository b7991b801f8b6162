"""Totals and groups of a period counted from the raw rows (`llm_calls`, `tool_calls`, `entries`).

The reference for the roll-ups (`rollup_totals.py` must give the same numbers, a test checks) and the
answer when a period does not start and end on whole UTC hours. The measures are those of
`measures.py`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.measures import MODEL_KEY_SEP, empty, fill_llm, period_totals, shape_groups
from clawscope.store.sql_filters import bucket, where

LLM_METRICS = """
  count(*) AS llm_calls,
  COALESCE(sum(CASE WHEN l.is_error THEN 1 ELSE 0 END), 0) AS errors,
  COALESCE(sum(l.input), 0) AS tokens_in, COALESCE(sum(l.output), 0) AS tokens_out,
  COALESCE(sum(l.cache_read), 0) AS cache_read, COALESCE(sum(l.cache_write), 0) AS cache_write,
  COALESCE(sum(l.total_tokens), 0) AS total_tokens,
  COALESCE(sum(l.cost_total), 0) AS cost, COALESCE(sum(l.est_cost), 0) AS est_cost,
  count(DISTINCT l.sid) AS sessions,
  COALESCE(sum(CASE WHEN l.started_ms IS NOT NULL AND l.ts_ms >= l.started_ms
                    THEN l.ts_ms - l.started_ms END), 0) AS latency_sum,
  count(CASE WHEN l.started_ms IS NOT NULL AND l.ts_ms >= l.started_ms THEN 1 END) AS latency_n
"""


_MESSAGES = "COALESCE(sum(CASE WHEN e.type = 'message' THEN 1 ELSE 0 END), 0)"


def _JOIN(alias: str) -> str:  # noqa: N802 - reads as the SQL it writes
    return f"JOIN sessions s ON s.sid = {alias}.sid"


def _group_key(conn: Connection, by: str, ts: str = "l.ts_ms", trigger: str = "l.turn_trigger") -> str:
    """The SQL expression a dimension groups by; `ts`/`trigger` name the row's own columns."""
    keys = {
        "model": f"COALESCE(l.provider, '') || '{MODEL_KEY_SEP}' || COALESCE(l.model, 'unknown')",
        "provider": "COALESCE(l.provider, 'unknown')",
        "agent": "COALESCE(s.agent_id, 'unknown')",
        "kind": "s.kind",
        "trigger": f"COALESCE({trigger}, s.trigger)",
        "channel": "COALESCE(s.channel, 'none')",
    }
    return keys[by] if by in keys else bucket(conn, ts, by)


def totals(conn: Connection, f: Filters) -> dict[str, Any]:
    """The totals of the period."""
    calls: dict[str, Any] = {}
    tools: dict[str, Any] = {}
    entries: dict[str, Any] = {}
    return period_totals(
        conn,
        (f"SELECT {LLM_METRICS} FROM llm_calls l {_JOIN('l')} WHERE {where(f, 'l.ts_ms', calls)}", calls),
        (
            "SELECT count(*), COALESCE(sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END), 0) "
            f"FROM tool_calls t {_JOIN('t')} "
            f"WHERE t.call_entry_id IS NOT NULL AND {where(f, 't.ts_ms', tools)}",
            tools,
        ),
        (
            f"SELECT count(DISTINCT e.sid), {_MESSAGES} FROM entries e {_JOIN('e')} "
            f"WHERE {where(f, 'e.ts_ms', entries)}",
            entries,
        ),
    )


def spend(conn: Connection, f: Filters) -> tuple[int, int]:
    """The period's reported and estimated cost (nano-dollars): the totals' two costs alone."""
    p: dict[str, Any] = {}
    sql = (
        "SELECT COALESCE(sum(l.cost_total), 0), COALESCE(sum(l.est_cost), 0) "
        f"FROM llm_calls l {_JOIN('l')} WHERE {where(f, 'l.ts_ms', p)}"
    )
    cost, est = conn.execute(text(sql), p).one()
    return int(cost), int(est)


def groups(conn: Connection, f: Filters, by: str) -> list[dict[str, Any]]:
    """Totals per value of one dimension (any but `tool`), largest cost first (time buckets in order)."""
    out: dict[str, dict[str, Any]] = {}
    p: dict[str, Any] = {}
    key = _group_key(conn, by)
    sql = (
        f"SELECT {key} AS k, {LLM_METRICS} FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
        f"WHERE {where(f, 'l.ts_ms', p)} GROUP BY {key}"
    )
    for row in conn.execute(text(sql), p):
        d = out.setdefault(str(row.k), empty())
        fill_llm(d, row)
        d["sessions"] = int(row.sessions)
    p = {}
    tkey = _group_key(conn, by, ts="t.ts_ms")
    join = "LEFT JOIN llm_calls l ON l.sid = t.sid AND l.entry_id = t.call_entry_id"
    sql = (
        f"SELECT {tkey} AS k, count(*) AS n, sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END) AS e "
        f"FROM tool_calls t JOIN sessions s ON s.sid = t.sid {join} "
        f"WHERE t.call_entry_id IS NOT NULL AND {where(f, 't.ts_ms', p)} GROUP BY {tkey}"
    )
    for row in conn.execute(text(sql), p):
        d = out.setdefault(str(row.k), empty())
        d["toolCalls"], d["toolErrors"] = int(row.n), int(row.e or 0)
    if by not in ("model", "provider"):  # (a model's messages are its calls: see shape_groups)
        p = {}
        ekey = _group_key(conn, by, ts="e.ts_ms", trigger="e.turn_trigger")
        sql = (
            f"SELECT {ekey} AS k, count(DISTINCT e.sid) AS sessions, "
            "sum(CASE WHEN e.type = 'message' THEN 1 ELSE 0 END) AS messages "
            f"FROM entries e JOIN sessions s ON s.sid = e.sid WHERE {where(f, 'e.ts_ms', p)} GROUP BY {ekey}"
        )
        for row in conn.execute(text(sql), p):
            d = out.setdefault(str(row.k), empty())
            d["sessions"], d["messages"] = int(row.sessions), int(row.messages or 0)
    return shape_groups(out, by)

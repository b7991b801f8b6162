"""Queries of the analytics reports that the roll-ups do not answer: failing tools with their error
text, per-session costs, compactions and the reported-vs-re-priced reconciliation rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters
from clawscope.store.queries import SESSION_COLUMNS, _where


def _session_where(f: Filters, p: dict[str, Any]) -> str:
    """Sessions (with entries) active in the period: the same rule as `queries.session_rows`."""
    where = _where(
        Filters(agent=f.agent, kind=f.kind, channel=f.channel, instance=f.instance), "s.last_ms", p
    )
    if f.since_ms is not None:
        where += " AND s.last_ms >= :since"
        p["since"] = f.since_ms
    if f.until_ms is not None:
        where += " AND s.first_ms < :until"
        p["until"] = f.until_ms
    return f"s.n_entries > 0 AND {where}"


def failing_tools(conn: Connection, f: Filters, limit: int) -> list[dict[str, Any]]:
    """The most frequent (tool, error text) pairs of failed tool calls."""
    p: dict[str, Any] = {"limit": limit}
    sql = (
        "SELECT t.name AS tool, COALESCE(t.error_text, '') AS error_text, count(*) AS n, "
        "max(t.ts_ms) AS last_ms "
        "FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
        f"WHERE t.call_entry_id IS NOT NULL AND t.status = 'error' AND {_where(f, 't.ts_ms', p)} "
        "GROUP BY t.name, COALESCE(t.error_text, '') ORDER BY count(*) DESC, t.name LIMIT :limit"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


def session_costs(conn: Connection, f: Filters) -> list[float]:
    """Reported plus estimated cost of every session active in the period."""
    p: dict[str, Any] = {}
    sql = f"SELECT s.cost_usd + s.est_cost_usd FROM sessions s WHERE {_session_where(f, p)}"
    return [float(r[0]) for r in conn.execute(text(sql), p)]


def top_sessions(conn: Connection, f: Filters, limit: int) -> list[dict[str, Any]]:
    p: dict[str, Any] = {"limit": limit}
    sql = (
        f"SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid "
        f"WHERE {_session_where(f, p)} ORDER BY s.cost_usd + s.est_cost_usd DESC, s.sid DESC LIMIT :limit"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


def compaction_summary(conn: Connection, f: Filters) -> dict[str, Any]:
    p: dict[str, Any] = {}
    row = conn.execute(
        text(
            "SELECT count(*) AS n, count(DISTINCT c.sid) AS sessions, avg(c.tokens_before) AS avg_before, "
            "max(c.tokens_before) AS max_before FROM compactions c JOIN sessions s ON s.sid = c.sid "
            f"WHERE {_where(f, 'c.ts_ms', p)}"
        ),
        p,
    ).one()
    return dict(row._mapping)


def prompt_sizes(conn: Connection, f: Filters) -> dict[str, Any]:
    """Prompt tokens per model call (input + cache read + cache write): the context actually used."""
    p: dict[str, Any] = {}
    row = conn.execute(
        text(
            "SELECT avg(l.input + l.cache_read + l.cache_write) AS avg_prompt, "
            "max(l.input + l.cache_read + l.cache_write) AS max_prompt "
            "FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
            f"WHERE l.has_usage AND {_where(f, 'l.ts_ms', p)}"
        ),
        p,
    ).one()
    return dict(row._mapping)


def reported_by_model_day(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Calls OpenClaw priced, per provider, model and UTC day: tokens and the reported cost."""
    p: dict[str, Any] = {}
    sql = (
        "SELECT l.provider, l.model, l.ts_ms / 86400000 AS day, count(*) AS n, sum(l.input) AS i, "
        "sum(l.output) AS o, sum(l.cache_read) AS r, sum(l.cache_write) AS w, sum(l.cost_total) AS cost "
        "FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
        f"WHERE l.cost_total > 0 AND l.ts_ms IS NOT NULL AND {_where(f, 'l.ts_ms', p)} "
        "GROUP BY l.provider, l.model, l.ts_ms / 86400000"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]

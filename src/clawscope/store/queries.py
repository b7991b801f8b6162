"""Read queries for stats, sessions and problems: the numbers the CLI, the API and the dashboard show.

Definitions (stable, documented in the README):
* `sessions` — distinct transcript sessions with activity in the period;
* `llmCalls` — real model calls (assistant messages that are not injected/mirrored copies);
* `errors` — model calls with stop reason `error`;
* `toolCalls` — tool calls the model issued; `toolErrors` — those whose result was an error;
* `tokensIn/Out`, `cacheRead/Write` — sums of OpenClaw's `usage`; `costUSD` — exactly the sum of
  OpenClaw's `usage.cost.total`; `estimatedCostUSD` — our estimate for calls it did not price.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from clawscope.model import Filters

_LLM_METRICS = """
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


def _where(f: Filters, ts: str, params: dict[str, Any]) -> str:
    parts = ["1=1"]
    if f.since_ms is not None:
        parts.append(f"{ts} >= :since")
        params["since"] = f.since_ms
    if f.until_ms is not None:
        parts.append(f"{ts} < :until")
        params["until"] = f.until_ms
    for col, value in (
        ("agent_id", f.agent),
        ("kind", f.kind),
        ("channel", f.channel),
        ("instance", f.instance),
    ):
        if value is not None:
            parts.append(f"s.{col} = :{col}")
            params[col] = value
    return " AND ".join(parts)


def _bucket(conn: Connection, ts: str, unit: str) -> str:
    """A UTC calendar bucket of a ms timestamp, as text, in the dialect at hand."""
    fmt = {
        "hour": ("%Y-%m-%dT%H:00", 'YYYY-MM-DD"T"HH24:00'),
        "day": ("%Y-%m-%d", "YYYY-MM-DD"),
        "month": ("%Y-%m", "YYYY-MM"),
    }[unit]
    if conn.dialect.name == "sqlite":
        return f"strftime('{fmt[0]}', {ts} / 1000, 'unixepoch')"
    return f"to_char(to_timestamp({ts} / 1000.0) AT TIME ZONE 'UTC', '{fmt[1]}')"


def _group_key(conn: Connection, by: str, ts: str = "l.ts_ms", trigger: str = "l.turn_trigger") -> str:
    """The SQL expression a dimension groups by; `ts`/`trigger` name the row's own columns."""
    keys = {
        "model": "COALESCE(l.provider, '') || '\x1f' || COALESCE(l.model, 'unknown')",
        "provider": "COALESCE(l.provider, 'unknown')",
        "agent": "COALESCE(s.agent_id, 'unknown')",
        "kind": "s.kind",
        "trigger": f"COALESCE({trigger}, s.trigger)",
        "channel": "COALESCE(s.channel, 'none')",
        "tool": "t.name",
    }
    return keys[by] if by in keys else _bucket(conn, ts, by)


def _empty() -> dict[str, Any]:
    return {
        "sessions": 0,
        "messages": 0,
        "llmCalls": 0,
        "toolCalls": 0,
        "toolErrors": 0,
        "tokensIn": 0,
        "tokensOut": 0,
        "cacheRead": 0,
        "cacheWrite": 0,
        "totalTokens": 0,
        "costUSD": 0.0,
        "estimatedCostUSD": 0.0,
        "errors": 0,
        "avgLatencyMs": None,
    }


def _fill_llm(d: dict[str, Any], row: Any) -> None:
    d.update(
        llmCalls=int(row.llm_calls),
        errors=int(row.errors),
        tokensIn=int(row.tokens_in),
        tokensOut=int(row.tokens_out),
        cacheRead=int(row.cache_read),
        cacheWrite=int(row.cache_write),
        totalTokens=int(row.total_tokens),
        costUSD=float(row.cost),
        estimatedCostUSD=float(row.est_cost),
        avgLatencyMs=round(float(row.latency_sum) / int(row.latency_n), 1) if row.latency_n else None,
    )


def totals(conn: Connection, f: Filters) -> dict[str, Any]:
    """The totals of the period."""
    out = _empty()
    p: dict[str, Any] = {}
    row = conn.execute(
        text(
            f"SELECT {_LLM_METRICS} FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
            f"WHERE {_where(f, 'l.ts_ms', p)}"
        ),
        p,
    ).one()
    _fill_llm(out, row)
    p = {}
    tool = conn.execute(
        text(
            "SELECT count(*), COALESCE(sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END), 0) "
            "FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
            f"WHERE t.call_entry_id IS NOT NULL AND {_where(f, 't.ts_ms', p)}"
        ),
        p,
    ).one()
    out["toolCalls"], out["toolErrors"] = int(tool[0]), int(tool[1])
    p = {}
    ent = conn.execute(
        text(
            "SELECT count(DISTINCT e.sid), COALESCE(sum(CASE WHEN e.type = 'message' THEN 1 ELSE 0 END), 0) "
            f"FROM entries e JOIN sessions s ON s.sid = e.sid WHERE {_where(f, 'e.ts_ms', p)}"
        ),
        p,
    ).one()
    out["sessions"], out["messages"] = int(ent[0]), int(ent[1])
    return out


def groups(conn: Connection, f: Filters, by: str) -> list[dict[str, Any]]:
    """Totals per value of one dimension, largest cost first."""
    if by == "tool":
        return tool_groups(conn, f)
    out: dict[str, dict[str, Any]] = {}
    p: dict[str, Any] = {}
    key = _group_key(conn, by)
    sql = (
        f"SELECT {key} AS k, {_LLM_METRICS} FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
        f"WHERE {_where(f, 'l.ts_ms', p)} GROUP BY {key}"
    )
    for row in conn.execute(text(sql), p):
        d = out.setdefault(str(row.k), _empty())
        _fill_llm(d, row)
        d["sessions"] = int(row.sessions)
    p = {}
    tkey = _group_key(conn, by, ts="t.ts_ms")
    join = "LEFT JOIN llm_calls l ON l.sid = t.sid AND l.entry_id = t.call_entry_id"
    sql = (
        f"SELECT {tkey} AS k, count(*) AS n, sum(CASE WHEN t.status = 'error' THEN 1 ELSE 0 END) AS e "
        f"FROM tool_calls t JOIN sessions s ON s.sid = t.sid {join} "
        f"WHERE t.call_entry_id IS NOT NULL AND {_where(f, 't.ts_ms', p)} GROUP BY {tkey}"
    )
    for row in conn.execute(text(sql), p):
        d = out.setdefault(str(row.k), _empty())
        d["toolCalls"], d["toolErrors"] = int(row.n), int(row.e or 0)
    if by in ("model", "provider"):
        for d in out.values():  # the messages of a model are its assistant messages
            d["messages"] = d["llmCalls"]
    else:
        p = {}
        ekey = _group_key(conn, by, ts="e.ts_ms", trigger="e.turn_trigger")
        sql = (
            f"SELECT {ekey} AS k, count(DISTINCT e.sid) AS sessions, "
            "sum(CASE WHEN e.type = 'message' THEN 1 ELSE 0 END) AS messages "
            f"FROM entries e JOIN sessions s ON s.sid = e.sid WHERE {_where(f, 'e.ts_ms', p)} GROUP BY {ekey}"
        )
        for row in conn.execute(text(sql), p):
            d = out.setdefault(str(row.k), _empty())
            d["sessions"], d["messages"] = int(row.sessions), int(row.messages or 0)
    result = []
    for k, d in out.items():
        if by == "model":
            provider, _, model = k.partition("\x1f")
            result.append({"key": model, "provider": provider or None, **d})
        else:
            result.append({"key": k, **d})
    time_dim = by in ("day", "hour", "month")
    result.sort(key=lambda g: g["key"] if time_dim else (-g["costUSD"], -g["llmCalls"], g["key"]))
    return result


def tool_groups(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per real tool name: calls, errors and p50/p95 duration."""
    p: dict[str, Any] = {}
    sql = (
        "SELECT t.name, t.status, COALESCE(t.duration_ms, t.result_ts_ms - t.ts_ms) AS d "
        f"FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
        f"WHERE t.call_entry_id IS NOT NULL AND {_where(f, 't.ts_ms', p)}"
    )
    stats: dict[str, tuple[list[int], list[int]]] = {}
    for name, status, dur in conn.execute(text(sql), p):
        counts, durations = stats.setdefault(name, ([0, 0], []))
        counts[0] += 1
        counts[1] += status == "error"
        if dur is not None and dur >= 0:
            durations.append(int(dur))
    out: list[dict[str, Any]] = []
    for name, (counts, durations) in stats.items():
        durations.sort()
        out.append(
            {
                "key": name,
                "toolCalls": counts[0],
                "toolErrors": counts[1],
                "p50DurationMs": percentile(durations, 50),
                "p95DurationMs": percentile(durations, 95),
            }
        )
    out.sort(key=lambda g: (-g["toolCalls"], g["key"]))
    return out


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolation percentile (the same rule as numpy's default and PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo))


SESSION_COLUMNS = """
  s.sid, s.session_id, s.key, s.kind, s.trigger, s.agent_id, s.instance, s.channel, s.parent_key,
  p.session_id AS parent_session_id, s.spawn_depth, s.job_id, s.label, s.display_name, s.status, s.first_ms,
  s.last_ms, s.n_llm_calls, s.n_tool_calls, s.n_tool_errors, s.n_errors, s.tokens_in, s.tokens_out,
  s.cache_read, s.cache_write, s.cost_usd, s.est_cost_usd, s.n_entries, s.n_messages, s.n_compactions,
  s.source, s.model_provider, s.model, s.cwd, s.header_version
"""


SESSION_ORDER = {"recent": "s.last_ms DESC, s.sid DESC", "cost": "s.cost_usd DESC, s.sid DESC"}


def session_rows(
    conn: Connection, f: Filters, limit: int | None = None, order: str = "recent"
) -> list[dict[str, Any]]:
    """Transcript sessions (those with entries) active in the period, most recent (or costly) first."""
    p: dict[str, Any] = {}
    where = _where(
        Filters(agent=f.agent, kind=f.kind, channel=f.channel, instance=f.instance), "s.last_ms", p
    )
    if f.since_ms is not None:
        where += " AND s.last_ms >= :since"
        p["since"] = f.since_ms
    if f.until_ms is not None:
        where += " AND s.first_ms < :until"
        p["until"] = f.until_ms
    sql = (
        f"SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid "
        f"WHERE s.n_entries > 0 AND {where} ORDER BY {SESSION_ORDER[order]}"
    )
    if limit is not None:
        sql += " LIMIT :limit"
        p["limit"] = limit
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


def problem_rows(conn: Connection, limit: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT problem_id, source, path, location, code, severity, reason, excerpt, first_seen_ms "
        "FROM problems ORDER BY problem_id"
    )
    p: dict[str, Any] = {}
    if limit is not None:
        sql += " LIMIT :limit"
        p["limit"] = limit
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


# -- dashboard additions (tool failures list, per-entry model calls of one session) ----------------------


def failed_tool_rows(conn: Connection, f: Filters, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent failing tool calls of the period, with their error text."""
    p: dict[str, Any] = {"limit": limit}
    sql = (
        "SELECT t.name, t.ts_ms, t.error_text, t.exit_code, t.duration_ms, s.session_id, s.agent_id "
        "FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
        f"WHERE t.call_entry_id IS NOT NULL AND t.status = 'error' AND {_where(f, 't.ts_ms', p)} "
        "ORDER BY t.ts_ms DESC LIMIT :limit"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


def session_llm_rows(conn: Connection, session_id: str) -> list[dict[str, Any]]:
    """The model calls of one session, per transcript entry (tokens and cost of each turn)."""
    sql = (
        "SELECT l.entry_id, l.provider, l.model, l.input, l.output, l.cache_read, l.cache_write, "
        "l.cost_total, l.est_cost, l.is_error, l.error_message FROM llm_calls l "
        "JOIN sessions s ON s.sid = l.sid WHERE s.session_id = :sid"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), {"sid": session_id})]

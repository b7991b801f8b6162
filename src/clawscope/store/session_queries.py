"""Reads and the one deletion behind the sessions API: filtered keyset pages, history, spawn trees.

Pages use keyset pagination (the sort value and the sid of the last row), so a page costs the same
at any depth and rows written meanwhile do not shift it. Deleting a session removes its rows from
clawscope only and records its id in `deleted_sessions`, which ingest skips from then on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text

from clawscope.model import SessionQuery
from clawscope.store.analytics_rollups import hours_of, refresh_hours
from clawscope.store.entries import _block
from clawscope.store.queries import SESSION_COLUMNS
from clawscope.timeutil import now_ms

# sort name -> (SQL value, descending?)
SORTS: dict[str, tuple[str, bool]] = {
    "recent": ("COALESCE(s.last_ms, 0)", True),
    "oldest": ("COALESCE(s.first_ms, 0)", False),
    "cost": ("s.cost_usd", True),
    "calls": ("s.n_llm_calls", True),
}


def session_page(
    conn: Connection, q: SessionQuery, limit: int, after: tuple[float, int] | None
) -> list[dict[str, Any]]:
    """Up to `limit` sessions (with entries) matching `q`, after the keyset position `after`."""
    value, desc = SORTS[q.sort]
    parts = ["s.n_entries > 0"]
    p: dict[str, Any] = {"limit": limit}
    for col, v in (("agent_id", q.agent), ("kind", q.kind), ("channel", q.channel)):
        if v is not None:
            parts.append(f"s.{col} = :{col}")
            p[col] = v
    if q.model is not None:
        parts.append(
            "(s.model = :model OR EXISTS "
            "(SELECT 1 FROM rollup_calls r WHERE r.sid = s.sid AND r.model = :model))"
        )
        p["model"] = q.model
    if q.since_ms is not None:
        parts.append("s.last_ms >= :since")
        p["since"] = q.since_ms
    if q.until_ms is not None:
        parts.append("s.first_ms < :until")
        p["until"] = q.until_ms
    if q.min_cost is not None:
        parts.append("s.cost_usd + s.est_cost_usd >= :min_cost")
        p["min_cost"] = q.min_cost
    if q.has_errors is not None:
        parts.append("s.n_errors + s.n_tool_errors " + ("> 0" if q.has_errors else "= 0"))
    if after is not None:
        op = "<" if desc else ">"
        parts.append(f"({value} {op} :after_v OR ({value} = :after_v AND s.sid {op} :after_sid))")
        p["after_v"], p["after_sid"] = after
    direction = "DESC" if desc else "ASC"
    sql = (
        f"SELECT {SESSION_COLUMNS}, {value} AS sort_value FROM sessions s "
        f"LEFT JOIN sessions p ON p.sid = s.parent_sid WHERE {' AND '.join(parts)} "
        f"ORDER BY {value} {direction}, s.sid {direction} LIMIT :limit"
    )
    return [dict(r._mapping) for r in conn.execute(text(sql), p)]


def session_row(conn: Connection, session_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        text(
            f"SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid "
            "WHERE s.session_id = :id"
        ),
        {"id": session_id},
    ).first()
    return None if row is None else dict(row._mapping)


def history_rows(conn: Connection, sid: int, limit: int, offset: int) -> list[dict[str, Any]]:
    """A page of a session's entries in transcript order, each with its raw JSON bytes."""
    rows = conn.execute(
        text(
            "SELECT pos, entry_id, type, role, parent_id, ts_ms, turn_trigger, block_id, block_off, "
            "block_len "
            "FROM entries WHERE sid = :sid ORDER BY pos LIMIT :limit OFFSET :offset"
        ),
        {"sid": sid, "limit": limit, "offset": offset},
    ).all()
    blocks: dict[int, bytes] = {}
    out = []
    for r in rows:
        data = blocks.get(r.block_id)
        if data is None:
            data = blocks[r.block_id] = _block(conn, r.block_id)
        d = dict(r._mapping)
        d["raw"] = data[r.block_off : r.block_off + r.block_len]
        out.append(d)
    return out


_LLM_SQL = (
    "SELECT entry_id, provider, model, stop_reason, is_error, error_message, input, output, cache_read, "
    "cache_write, total_tokens, cost_total, est_cost, started_ms, ts_ms FROM llm_calls WHERE sid = :sid"
)
_TOOL_SQL = (
    "SELECT call_id, call_entry_id, result_entry_id, name, status, ts_ms, result_ts_ms, arguments, "
    "exec_command, exit_code, COALESCE(duration_ms, result_ts_ms - ts_ms) AS duration_ms, error_text "
    "FROM tool_calls WHERE sid = :sid"
)
_IN_LIST = 900  # above this many entries, one pass over the session beats IN lists


def _rows_of(conn: Connection, sql: str, column: str, sid: int, entry_ids: list[str]) -> list[Any]:
    if len(entry_ids) > _IN_LIST:
        wanted = set(entry_ids)
        return [r for r in conn.execute(text(sql), {"sid": sid}) if getattr(r, column) in wanted]
    stmt = text(f"{sql} AND {column} IN :ids").bindparams(bindparam("ids", expanding=True))
    return list(conn.execute(stmt, {"sid": sid, "ids": entry_ids}))


def llm_rows(conn: Connection, sid: int, entry_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The model calls of these entries, by entry id."""
    return {r.entry_id: dict(r._mapping) for r in _rows_of(conn, _LLM_SQL, "entry_id", sid, entry_ids)}


def tool_rows(conn: Connection, sid: int, entry_ids: list[str]) -> list[dict[str, Any]]:
    """Tool calls issued by these entries, with their results joined (one row per call), in order."""
    rows = [dict(r._mapping) for r in _rows_of(conn, _TOOL_SQL, "call_entry_id", sid, entry_ids)]
    rows.sort(key=lambda r: (r["ts_ms"] is None, r["ts_ms"] or 0, r["call_id"]))
    return rows


def subtree_rows(conn: Connection, sid: int, max_depth: int = 64) -> list[dict[str, Any]]:
    """A session and all its spawned descendants (each once, depth-limited against cycles)."""
    sql = text(f"""
WITH RECURSIVE tree(sid, depth) AS (
  SELECT sid, 0 FROM sessions WHERE sid = :sid
  UNION
  SELECT c.sid, tree.depth + 1 FROM sessions c JOIN tree ON c.parent_sid = tree.sid
  WHERE tree.depth < :max_depth AND c.sid <> :sid
)
SELECT DISTINCT {SESSION_COLUMNS}, s.parent_sid AS parent_sid_raw
FROM tree JOIN sessions s ON s.sid = tree.sid LEFT JOIN sessions p ON p.sid = s.parent_sid""")
    return [dict(r._mapping) for r in conn.execute(sql, {"sid": sid, "max_depth": max_depth})]


_DELETE = [
    f"DELETE FROM {t} WHERE sid = :sid"
    for t in (
        "entries",
        "entry_blocks",
        "llm_calls",
        "tool_calls",
        "compactions",
        "changes",
        "rollup_calls",
        "rollup_entries",
    )
]


def delete_session(conn: Connection, session_id: str) -> bool:
    """Remove a session's rows (not its children: they lose their parent link) and remember its id."""
    sid = conn.execute(text("SELECT sid FROM sessions WHERE session_id = :id"), {"id": session_id}).scalar()
    if sid is None:
        return False
    hours = hours_of(conn, [sid])
    for stmt in _DELETE:
        conn.execute(text(stmt), {"sid": sid})
    refresh_hours(conn, hours)
    conn.execute(text("UPDATE sessions SET parent_sid = NULL WHERE parent_sid = :sid"), {"sid": sid})
    conn.execute(text("DELETE FROM sessions WHERE sid = :sid"), {"sid": sid})
    # what arrived about it apart from the transcript: hook/OTLP observations, stream events, cursors
    conn.execute(text("DELETE FROM observations WHERE session_id = :id"), {"id": session_id})
    conn.execute(text("DELETE FROM events WHERE session_id = :id"), {"id": session_id})
    conn.execute(text("DELETE FROM deleted_sessions WHERE session_id = :id"), {"id": session_id})
    conn.execute(
        text("INSERT INTO deleted_sessions (session_id, deleted_ms) VALUES (:id, :now)"),
        {"id": session_id, "now": now_ms()},
    )
    return True

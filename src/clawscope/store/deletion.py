"""Deleting a session from clawscope: its rows, its roll-ups, what arrived about it apart from the
transcript (hook/OTLP observations, stream events, detector findings), and a record of its id in
`deleted_sessions`, which ingest and webhooks skip from then on. Its children stay, without their
parent link."""

from __future__ import annotations

from sqlalchemy import Connection, text

from clawscope.store import metric_rollups, search
from clawscope.store.rollup_hours import hours_of, refresh_hours

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
        "otlp_turns",
        "otlp_sessions",
        "search_docs",
        "pruned_sessions",
    )
]


def delete_session(conn: Connection, session_id: str, now_ms: int) -> bool:
    """In the caller's write transaction; False when no such session is stored."""
    sid = conn.execute(text("SELECT sid FROM sessions WHERE session_id = :id"), {"id": session_id}).scalar()
    if sid is None:
        return False
    hours = hours_of(conn, [sid])
    search.forget(conn, sid)  # its words, while its entries are still there to say which
    for stmt in _DELETE:
        conn.execute(text(stmt), {"sid": sid})
    refresh_hours(conn, hours)
    metric_rollups.refresh(conn, [sid])  # its rows are gone: the metrics lose exactly what it added
    conn.execute(text("UPDATE sessions SET parent_sid = NULL WHERE parent_sid = :sid"), {"sid": sid})
    conn.execute(text("DELETE FROM sessions WHERE sid = :sid"), {"sid": sid})
    conn.execute(text("DELETE FROM observations WHERE session_id = :id"), {"id": session_id})
    conn.execute(text("DELETE FROM events WHERE session_id = :id"), {"id": session_id})
    conn.execute(text("DELETE FROM findings WHERE session_id = :id"), {"id": session_id})
    conn.execute(text("DELETE FROM detection_state WHERE session_id = :id"), {"id": session_id})
    # the judge's verdicts may quote the session: dropped; its calls' cost stays (the daily cap counts it)
    conn.execute(
        text(
            "UPDATE judge_calls SET verdict = NULL, note = NULL, outcome = 'deleted' WHERE session_id = :id"
        ),
        {"id": session_id},
    )
    conn.execute(text("DELETE FROM deleted_sessions WHERE session_id = :id"), {"id": session_id})
    conn.execute(
        text("INSERT INTO deleted_sessions (session_id, deleted_ms) VALUES (:id, :now)"),
        {"id": session_id, "now": now_ms},
    )
    return True

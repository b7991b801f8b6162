"""`Store.otlp`: what the OTLP export reads and the cursor it commits: sessions whose transcript changed
since their turns were last sent to a target, one session's entries, model calls and tool calls, the
turns already sent, and (`mark_sent`) the turns a receiver acknowledged, in one transaction.

A target is a short hash of the endpoint (two endpoints keep two cursors). Markers of a target (from
when the live export sends, the start of its cumulative metrics) are rows of `cursors` (`otlp:…`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from clawscope.store.engine import Part

_PENDING = """
SELECT s.sid, s.session_id, s.n_entries FROM sessions s
LEFT JOIN otlp_sessions o ON o.sid = s.sid AND o.target = :target
WHERE s.n_entries > 0 AND s.sid > :after AND (s.last_ms IS NULL OR :since < 0 OR s.last_ms >= :since)
  AND (o.sid IS NULL OR o.seen_entries <> s.n_entries
       OR (o.from_ms IS NOT NULL AND (:since < 0 OR :since < o.from_ms)))
ORDER BY s.sid LIMIT :limit"""


class OtlpExport(Part):
    def pending(
        self, target: str, since_ms: int | None, after_sid: int, limit: int
    ) -> list[tuple[int, str, int]]:
        """(sid, session id, entries) of sessions with turns possibly not sent, after `after_sid`."""
        p = {
            "target": target,
            "since": -1 if since_ms is None else since_ms,
            "after": after_sid,
            "limit": limit,
        }
        return [(int(a), str(b), int(c)) for a, b, c in self._rows_raw(_PENDING, p)]

    def session(self, sid: int) -> dict[str, Any]:
        """A session's attributes, entries (pos order), model calls and tool calls (issued by the model)."""
        with self._read() as conn:
            row = conn.execute(
                text(
                    "SELECT sid, session_id, key, kind, trigger, agent_id, instance, channel, n_entries "
                    "FROM sessions WHERE sid = :sid"
                ),
                {"sid": sid},
            ).one()
            p = {"sid": sid}
            entries = conn.execute(
                text("SELECT pos, entry_id, role, type, ts_ms FROM entries WHERE sid = :sid ORDER BY pos"), p
            ).all()
            calls = conn.execute(
                text(
                    "SELECT entry_id, ts_ms, started_ms, provider, model, api, stop_reason, is_error, "
                    "input, output, cache_read, cache_write, total_tokens, cost_total, est_cost, "
                    "response_id, run_id, turn_trigger FROM llm_calls WHERE sid = :sid"
                ),
                p,
            ).all()
            tools = conn.execute(
                text(
                    "SELECT call_id, call_entry_id, result_entry_id, name, status, ts_ms, result_ts_ms, "
                    "duration_ms, exit_code FROM tool_calls WHERE sid = :sid AND call_entry_id IS NOT NULL"
                ),
                p,
            ).all()
        return {
            **dict(row._mapping),
            "entries": [dict(r._mapping) for r in entries],
            "calls": [dict(r._mapping) for r in calls],
            "tools": [dict(r._mapping) for r in tools],
        }

    def sent(self, target: str, sid: int) -> dict[str, int]:
        """Turns of the session already sent to `target`: turn -> the last position sent."""
        rows = self._rows_raw(
            "SELECT turn, last_pos FROM otlp_turns WHERE target = :target AND sid = :sid",
            {"target": target, "sid": sid},
        )
        return {str(t): int(p) for t, p in rows}

    def mark_sent(
        self,
        target: str,
        turns: Sequence[tuple[int, str, int, int]],
        sessions: Sequence[tuple[int, int, int | None]],
    ) -> None:
        """Record acknowledged turns (sid, turn, last position, spans) and sessions whose turns are all
        sent (sid, entries, from_ms), together."""
        now = self._clock()
        with self._write() as conn:
            if turns:
                conn.execute(
                    text(
                        "INSERT INTO otlp_turns (target, sid, turn, last_pos, spans, sent_ms) "
                        "VALUES (:target, :sid, :turn, :pos, :spans, :now) ON CONFLICT (target, sid, turn) "
                        "DO UPDATE SET last_pos = excluded.last_pos, "
                        "spans = otlp_turns.spans + excluded.spans, sent_ms = excluded.sent_ms"
                    ),
                    [
                        {"target": target, "sid": s, "turn": t, "pos": pos, "spans": n, "now": now}
                        for s, t, pos, n in turns
                    ],
                )
            if sessions:
                conn.execute(
                    text(
                        "INSERT INTO otlp_sessions (target, sid, seen_entries, from_ms) "
                        "VALUES (:target, :sid, :seen, :from_ms) ON CONFLICT (target, sid) "
                        "DO UPDATE SET seen_entries = excluded.seen_entries, from_ms = excluded.from_ms"
                    ),
                    [{"target": target, "sid": s, "seen": n, "from_ms": f} for s, n, f in sessions],
                )

    def marker(self, key: str, default: int) -> int:
        """A number kept under `otlp:<key>` in the cursors table, set to `default` the first time."""
        name = f"otlp:{key}"
        with self._write() as conn:
            found = conn.execute(text("SELECT value FROM cursors WHERE key = :k"), {"k": name}).scalar()
            if found is not None:
                return int(found)
            conn.execute(
                text("INSERT INTO cursors (key, value, updated_ms) VALUES (:k, :v, :now)"),
                {"k": name, "v": str(default), "now": self._clock()},
            )
        return default

    def _rows_raw(self, sql: str, params: dict[str, Any]) -> list[Any]:
        with self._read() as conn:
            return list(conn.execute(text(sql), params).all())

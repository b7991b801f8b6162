"""`Store.exports`: every session, model call and tool call of a period as a stream of rows, for file
exports of any size (CSV, JSON Lines).

Rows come in keyset pages (`PAGE` rows, ordered by the table's key, each page starting after the last
key of the one before): memory stays flat whatever the size, no read transaction is held across pages
(a long export never holds back a writer), and a row written meanwhile behind the position is simply not
in this export.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from clawscope.model import Filters
from clawscope.store.engine import Part
from clawscope.store.sessions import SESSION_COLUMNS
from clawscope.store.sql_filters import session_where, where

PAGE = 2000

_CALLS = (
    "SELECT l.sid, l.entry_id, s.session_id, s.agent_id, s.instance, s.channel, s.kind, "
    "COALESCE(l.turn_trigger, s.trigger) AS trigger, l.ts_ms, l.started_ms, l.provider, l.model, l.api, "
    "l.stop_reason, l.is_error, l.error_message, l.input, l.output, l.cache_read, l.cache_write, "
    "l.total_tokens, l.cost_total, l.est_cost, l.price_ref, l.response_id, l.run_id "
    "FROM llm_calls l JOIN sessions s ON s.sid = l.sid WHERE {where} AND {after} "
    "ORDER BY l.sid, l.entry_id LIMIT :page"
)
_TOOLS = (
    "SELECT t.sid, t.call_id, s.session_id, s.agent_id, s.instance, s.channel, s.kind, t.call_entry_id, "
    "t.result_entry_id, t.name, t.status, t.ts_ms, t.result_ts_ms, "
    "COALESCE(t.duration_ms, t.result_ts_ms - t.ts_ms) AS duration_ms, t.exit_code, t.error_text, "
    "t.output_bytes, t.args_bytes, t.wrapper, t.arguments, t.exec_command, t.exec_elevated "
    "FROM tool_calls t JOIN sessions s ON s.sid = t.sid "
    "WHERE t.call_entry_id IS NOT NULL AND {where} AND {after} ORDER BY t.sid, t.call_id LIMIT :page"
)


class Exports(Part):
    def sessions(self, f: Filters) -> Iterator[dict[str, Any]]:
        """Sessions (with entries) active in the period, in storage order (the columns of
        `Store.sessions.active`)."""
        sid = -1
        while True:
            p: dict[str, Any] = {"sid": sid, "page": PAGE}
            rows = self._rows(
                f"SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid "
                f"WHERE {session_where(f, p)} AND s.sid > :sid ORDER BY s.sid LIMIT :page",
                p,
            )
            yield from rows
            if len(rows) < PAGE:
                return
            sid = rows[-1]["sid"]

    def calls(self, f: Filters) -> Iterator[dict[str, Any]]:
        """Model calls of the period (by their own time), in storage order."""
        return self._pages(_CALLS, "l.ts_ms", ("l.sid", "l.entry_id"), ("sid", "entry_id"), f)

    def tools(self, f: Filters) -> Iterator[dict[str, Any]]:
        """Tool calls the model issued in the period (by the call's time), in storage order."""
        return self._pages(_TOOLS, "t.ts_ms", ("t.sid", "t.call_id"), ("sid", "call_id"), f)

    def _pages(
        self, sql: str, ts: str, key: tuple[str, str], names: tuple[str, str], f: Filters
    ) -> Iterator[dict[str, Any]]:
        last: tuple[Any, Any] = (-1, "")
        while True:
            p: dict[str, Any] = {"page": PAGE, "k0": last[0], "k1": last[1]}
            after = f"({key[0]} > :k0 OR ({key[0]} = :k0 AND {key[1]} > :k1))"
            rows = self._rows(sql.format(where=where(f, ts, p), after=after), p)
            yield from rows
            if len(rows) < PAGE:
                return
            last = (rows[-1][names[0]], rows[-1][names[1]])

"""`Store.transcripts`: a session's transcript read back: every raw entry in order (replay, receipts,
exports), a page of history with each entry's model call and tool calls joined, and the tokens and cost
of each model call (the replay page's turns).

Raw entries live in zstd-compressed blocks (see schema.py); a page decompresses each block it touches
once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import zstandard
from sqlalchemy import Connection, bindparam, select, text

from clawscope.store import schema
from clawscope.store.engine import Part

_BLOCK_CACHE = 64
_DCTX = zstandard.ZstdDecompressor()
MAX_BLOCK_BYTES = 1 << 30
_IN_LIST = 900  # above this many entries, one pass over the session beats IN lists
_LLM_SQL = (
    "SELECT entry_id, provider, model, stop_reason, is_error, error_message, input, output, cache_read, "
    "cache_write, total_tokens, cost_total, est_cost, started_ms, ts_ms FROM llm_calls WHERE sid = :sid"
)
_TOOL_SQL = (
    "SELECT call_id, call_entry_id, result_entry_id, name, status, ts_ms, result_ts_ms, arguments, "
    "exec_command, exit_code, COALESCE(duration_ms, result_ts_ms - ts_ms) AS duration_ms, error_text "
    "FROM tool_calls WHERE sid = :sid"
)


class Transcripts(Part):
    def records(self, session_id: str) -> list[tuple[int, bytes]]:
        """(position, raw record) of every entry of a session, in order, as read from OpenClaw (those whose
        text retention pruned are left out)."""
        with self._read() as conn:
            sid = conn.execute(
                select(schema.sessions.c.sid).where(schema.sessions.c.session_id == session_id)
            ).scalar()
            return [] if sid is None else [(pos, raw) for pos, _, raw in raw_entries(conn, sid) if raw]

    def history(self, sid: int, limit: int, offset: int) -> list[dict[str, Any]]:
        """A page of a session's entries in transcript order, each with its raw JSON bytes (`raw`) and
        whether retention pruned that text (`pruned`: `raw` is then empty)."""
        with self._read() as conn:
            rows = conn.execute(
                text(
                    "SELECT pos, entry_id, type, role, parent_id, ts_ms, turn_trigger, block_id, block_off, "
                    "block_len FROM entries WHERE sid = :sid ORDER BY pos LIMIT :limit OFFSET :offset"
                ),
                {"sid": sid, "limit": limit, "offset": offset},
            ).all()
            blocks: dict[int, bytes] = {}
            out = []
            for r in rows:
                data = blocks.get(r.block_id)
                if data is None:
                    data = blocks[r.block_id] = read_block(conn, r.block_id)
                d = dict(r._mapping)
                d["raw"] = data[r.block_off : r.block_off + r.block_len]
                d["pruned"] = not data  # its text went by retention (a stored block is never empty)
                out.append(d)
        return out

    def model_calls(self, sid: int, entry_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The model calls of these entries, by entry id."""
        with self._read() as conn:
            found = _rows_of(conn, _LLM_SQL, "entry_id", sid, entry_ids)
        return {r.entry_id: dict(r._mapping) for r in found}

    def tool_calls(self, sid: int, entry_ids: list[str]) -> list[dict[str, Any]]:
        """Tool calls issued by these entries, with their results joined (one row per call), in order."""
        with self._read() as conn:
            rows = [dict(r._mapping) for r in _rows_of(conn, _TOOL_SQL, "call_entry_id", sid, entry_ids)]
        rows.sort(key=lambda r: (r["ts_ms"] is None, r["ts_ms"] or 0, r["call_id"]))
        return rows

    def turns(self, session_id: str) -> list[dict[str, Any]]:
        """The model calls of one session, per transcript entry (tokens and cost of each turn)."""
        sql = (
            "SELECT l.entry_id, l.provider, l.model, l.input, l.output, l.cache_read, l.cache_write, "
            "l.cost_total, l.est_cost, l.is_error, l.error_message FROM llm_calls l "
            "JOIN sessions s ON s.sid = l.sid WHERE s.session_id = :sid"
        )
        return self._rows(sql, {"sid": session_id})


def _rows_of(conn: Connection, sql: str, column: str, sid: int, entry_ids: list[str]) -> list[Any]:
    if len(entry_ids) > _IN_LIST:
        wanted = set(entry_ids)
        return [r for r in conn.execute(text(sql), {"sid": sid}) if getattr(r, column) in wanted]
    stmt = text(f"{sql} AND {column} IN :ids").bindparams(bindparam("ids", expanding=True))
    return list(conn.execute(stmt, {"sid": sid, "ids": entry_ids}))


def raw_entries(conn: Connection, sid: int) -> Iterator[tuple[int, str, bytes]]:
    """(pos, entry id, raw JSON) of every entry of a session, in transcript order."""
    rows = conn.execute(
        text(
            "SELECT pos, entry_id, block_id, block_off, block_len FROM entries WHERE sid = :sid ORDER BY pos"
        ),
        {"sid": sid},
    ).all()
    blocks: dict[int, bytes] = {}
    for pos, entry_id, block_id, off, length in rows:
        data = blocks.get(block_id)
        if data is None:
            if len(blocks) >= _BLOCK_CACHE:
                blocks.pop(next(iter(blocks)))
            data = blocks[block_id] = read_block(conn, block_id)
        yield int(pos), str(entry_id), data[off : off + length]


def read_block(conn: Connection, block_id: int) -> bytes:
    """A block's entries; b"" when retention pruned it (the entries' rows stay: retention.py)."""
    found = conn.execute(
        text("SELECT codec, data FROM entry_blocks WHERE block_id = :id"), {"id": block_id}
    ).first()
    if found is None:
        return b""
    codec, data = found
    raw: Any = bytes(data)
    return _DCTX.decompress(raw, max_output_size=MAX_BLOCK_BYTES) if codec == "zstd" else raw

"""Reading back the raw transcript entries kept in compressed blocks (replay, receipts, exports)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import zstandard
from sqlalchemy import Connection, text

_BLOCK_CACHE = 64
_DCTX = zstandard.ZstdDecompressor()
MAX_BLOCK_BYTES = 1 << 30


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
            data = blocks[block_id] = _block(conn, block_id)
        yield int(pos), str(entry_id), data[off : off + length]


def _block(conn: Connection, block_id: int) -> bytes:
    codec, data = conn.execute(
        text("SELECT codec, data FROM entry_blocks WHERE block_id = :id"), {"id": block_id}
    ).one()
    raw: Any = bytes(data)
    return _DCTX.decompress(raw, max_output_size=MAX_BLOCK_BYTES) if codec == "zstd" else raw

"""Everything a database holds, as bytes to search (secrets must not be in it, redacted texts neither)."""

from __future__ import annotations

import contextlib

import zstandard
from sqlalchemy import inspect, text

from clawscope.store import Store


def everything(store: Store) -> bytes:
    """Every value of every table (compressed blocks decompressed), as bytes to grep."""
    out = []
    dctx = zstandard.ZstdDecompressor()
    with store.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for v in row:
                    if isinstance(v, bytes | memoryview):
                        data = bytes(v)
                        with contextlib.suppress(zstandard.ZstdError):
                            data = dctx.decompress(data, max_output_size=1 << 26)
                        out.append(data)
                    else:
                        out.append(str(v).encode())
    blob = b"\n".join(out)
    url = store.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        with open(url.database, "rb") as fh:  # the file itself too (free pages, WAL aside)
            blob += fh.read()
    return blob

"""Reading a request body with a size limit (and gzip), for the ingestion endpoints.

The limit applies to the body as sent and again after decompression, so a small gzip bomb cannot
grow into a large allocation. Too large → 413; a broken gzip stream → 400.
"""

from __future__ import annotations

import zlib

from fastapi import Request

from clawscope.web.errors import ApiError


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, decompressed."""
    return decode_body(request, await read_raw(request, max_bytes), max_bytes)


async def read_raw(request: Request, max_bytes: int) -> bytes:
    """The body exactly as sent (what a signature covers)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, f"the body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, f"the body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(request: Request, body: bytes, max_bytes: int) -> bytes:
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise ApiError(415, f"unsupported Content-Encoding {encoding!r}: send identity or gzip")
    return gunzip(body, max_bytes)


def gunzip(body: bytes, max_bytes: int) -> bytes:
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise ApiError(400, f"the gzip body is broken: {exc}") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise ApiError(413, f"the body is larger than {max_bytes} bytes once decompressed")
    return out

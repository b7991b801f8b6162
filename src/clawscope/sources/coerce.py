"""Loosely typed values of live reports (hook events, OTLP attributes) made into what an observation holds:
numbers that may arrive as strings, texts that may be absent, and previews capped in size."""

from __future__ import annotations

from typing import Any

import msgspec

PREVIEW_BYTES = 4096


def preview(value: Any) -> Any:
    """A value small enough to keep: JSON text capped at PREVIEW_BYTES, with its full size."""
    if value is None:
        return None
    raw = msgspec.json.encode(value)
    if len(raw) <= PREVIEW_BYTES:
        return value
    return {"truncated": True, "bytes": len(raw), "head": raw[:PREVIEW_BYTES].decode("utf-8", "replace")}


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)

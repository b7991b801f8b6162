"""The wire shape of one transcript record, as msgspec Structs, and a decoder that never gives up.

A record is a JSONL line (JSONL era) or a `transcript_events` row (SQLite era): the same logical
format (format doc §2). Only the fields clawscope reads are declared, so msgspec skips the rest
(long texts, skill snapshots) without building Python objects for them; that is what makes ingest
faster than `json.loads` alone.

`decode_record` first tries the strict typed decode. When a field has the wrong type it falls back
to a generic decode and removes each offending value (reported as a `WRONG_TYPE` finding) until the
record fits; nothing else of the record is lost.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import msgspec

Num = int | float


class WUsageCost(msgspec.Struct):
    input: Num | None = None
    output: Num | None = None
    cacheRead: Num | None = None  # noqa: N815 - wire names
    cacheWrite: Num | None = None  # noqa: N815
    total: Num | None = None


class WUsage(msgspec.Struct):
    input: Num | None = None
    output: Num | None = None
    cacheRead: Num | None = None  # noqa: N815
    cacheWrite: Num | None = None  # noqa: N815
    totalTokens: Num | None = None  # noqa: N815
    cost: WUsageCost | None = None


class WBlock(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    name: str | None = None
    arguments: msgspec.Raw = msgspec.Raw()
    text: msgspec.Raw = msgspec.Raw()  # kept raw: long texts are only decoded when needed


class WDetails(msgspec.Struct):
    # toolResult details (exec, read, …); web_fetch puts the HTTP status (a number) here
    status: str | int | None = None
    exitCode: int | None = None  # noqa: N815
    durationMs: Num | None = None  # noqa: N815
    error: msgspec.Raw = msgspec.Raw()
    # openclaw.nested-tool.v1 details
    parentToolCallId: str | None = None  # noqa: N815
    toolCallId: str | None = None  # noqa: N815
    toolName: str | None = None  # noqa: N815
    isError: bool | None = None  # noqa: N815
    result: msgspec.Raw = msgspec.Raw()


class WOpenclaw(msgspec.Struct):
    runId: str | None = None  # noqa: N815


class WMessage(msgspec.Struct):
    role: str | None = None
    content: list[WBlock] | str | None = None
    provider: str | None = None
    model: str | None = None
    api: str | None = None
    stopReason: str | None = None  # noqa: N815
    errorMessage: str | None = None  # noqa: N815
    usage: WUsage | None = None
    timestamp: Num | None = None
    responseId: str | None = None  # noqa: N815
    toolCallId: str | None = None  # noqa: N815
    toolName: str | None = None  # noqa: N815
    isError: bool | None = None  # noqa: N815
    details: WDetails | None = None
    customType: str | None = None  # noqa: N815
    openclaw: WOpenclaw | None = msgspec.field(default=None, name="__openclaw")


class WSnapshot(msgspec.Struct):
    provider: str | None = None
    modelApi: str | None = None  # noqa: N815
    modelId: str | None = None  # noqa: N815


class WRecord(msgspec.Struct):
    type: str | None = None
    id: str | None = None
    parentId: str | None = None  # noqa: N815
    timestamp: datetime | Num | None = None
    message: WMessage | None = None
    # header
    version: int | None = None
    cwd: str | None = None
    # model_change / thinking_level_change / custom
    provider: str | None = None
    modelId: str | None = None  # noqa: N815
    thinkingLevel: str | None = None  # noqa: N815
    customType: str | None = None  # noqa: N815
    data: msgspec.Raw = msgspec.Raw()
    # compaction
    summary: msgspec.Raw = msgspec.Raw()
    firstKeptEntryId: str | None = None  # noqa: N815
    tokensBefore: Num | None = None  # noqa: N815
    fromHook: bool | None = None  # noqa: N815


_STRICT = msgspec.json.Decoder(WRecord)
_GENERIC = msgspec.json.Decoder()
_ENCODER = msgspec.json.Encoder(enc_hook=str)  # Overflow (a str subclass) is written as text
_PATH = re.compile(r"at `\$(.*)`$")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_MAX_REPAIRS = 32


def json_error(exc: BaseException) -> str:
    """Why a JSON text could not be decoded, in words (a nesting deeper than the decoders' recursion
    limit, about 1,000 levels, raises `RecursionError`: a 2 KB line must not stop an ingest)."""
    if isinstance(exc, RecursionError):
        return "nested too deeply (arrays and objects more than about 1,000 levels deep)"
    return str(exc)


class RecordError(Exception):
    """The record cannot be used at all (invalid JSON, not an object)."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def strict_decode(raw: bytes) -> WRecord | None:
    """The fast path: the record if it decodes as declared, else None (see `decode_record`)."""
    try:
        return _STRICT.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None


def decode_record(raw: bytes) -> tuple[WRecord, list[str]]:
    """Decode one record; return it with the wrong-typed field paths that were dropped.

    Raises `RecordError` with code `invalid_json` or `not_an_object` when nothing is usable.
    """
    try:
        raw.decode("utf-8")  # texts are decoded raw (msgspec.Raw), so check UTF-8 here
        return _STRICT.decode(raw), []
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise RecordError("invalid_json", f"invalid JSON: {exc}") from None
    except UnicodeDecodeError:
        raise RecordError("invalid_utf8", "invalid UTF-8") from None
    except RecursionError as exc:
        raise RecordError("invalid_json", f"invalid JSON: {json_error(exc)}") from None
    try:
        obj = _GENERIC.decode(raw)
    except msgspec.ValidationError:  # a number beyond the float range (1e400): stdlib json can read it
        try:
            obj = json.loads(raw, parse_float=_float_or_overflow, parse_int=_int_or_overflow)
        except (ValueError, RecursionError) as exc:
            raise RecordError("invalid_json", f"invalid JSON: {json_error(exc)}") from None
    except (msgspec.DecodeError, RecursionError) as exc:  # `1 x`: validation failed before the syntax
        raise RecordError("invalid_json", f"invalid JSON: {json_error(exc)}") from None
    if not isinstance(obj, dict):
        raise RecordError("not_an_object", f"a JSON {type(obj).__name__}, not an object")
    return _repair(obj)


class Overflow(str):
    """A number too large for a float, kept as its text so that the repair loop names its path."""

    __slots__ = ()


def _float_or_overflow(text: str) -> float | str:
    value = float(text)
    return value if math.isfinite(value) else Overflow(text)


def _int_or_overflow(text: str) -> int | str:
    return int(text) if len(text) < 40 else Overflow(text)


def _repair(obj: dict[str, Any]) -> tuple[WRecord, list[str]]:
    """Drop each wrong-typed value msgspec names, re-encode, and decode again (bad path only)."""
    dropped: list[str] = []
    for _ in range(_MAX_REPAIRS):
        try:
            return _STRICT.decode(_ENCODER.encode(obj)), dropped
        except msgspec.ValidationError as exc:
            path = _error_path(str(exc))
            removed = _drop(obj, path) if path is not None else _MISSING
            if removed is _MISSING:
                break
            dropped.append(f"{path} (number out of range)" if isinstance(removed, Overflow) else str(path))
    # Give up on the detail: keep only what identifies the entry.
    keep = {k: obj[k] for k in ("type", "id", "parentId") if isinstance(obj.get(k), str)}
    dropped.append("$ (record reduced to type/id)")
    return _STRICT.decode(_ENCODER.encode(keep)), dropped


def _error_path(message: str) -> str | None:
    m = _PATH.search(message)
    return m.group(1) if m else None


_MISSING = object()


def _drop(obj: Any, path: str) -> Any:
    """Remove and return the value at `path` (".message.usage.input", ".message.content[2]")."""
    steps = [(m.group(1), m.group(2)) for m in _STEP.finditer(path)]
    if not steps:
        return _MISSING
    node = obj
    for key, index in steps[:-1]:
        node = node.get(key) if key is not None and isinstance(node, dict) else _item(node, index)
        if node is None:
            return _MISSING
    key, index = steps[-1]
    if key is not None and isinstance(node, dict) and key in node:
        return node.pop(key)
    if index is not None and isinstance(node, list) and int(index) < len(node):
        return node.pop(int(index))
    return _MISSING


def _item(node: Any, index: str | None) -> Any:
    if index is None or not isinstance(node, list) or int(index) >= len(node):
        return None
    return node[int(index)]


def to_ms(value: datetime | float | None) -> int | None:
    """Entry timestamps are ISO strings (decoded to datetime), message timestamps ms numbers."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)
    if not math.isfinite(value):
        return None
    if abs(value) < 100_000_000_000:  # seconds, not milliseconds
        value *= 1000
    return int(value)


def decode_json(raw: bytes | msgspec.Raw | None) -> Any:
    """Generic decode of a raw sub-document (tool arguments, custom data); None when invalid."""
    if raw is None:
        return None
    try:
        return _GENERIC.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None

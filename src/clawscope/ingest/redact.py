"""`trace_only` ingestion: keep the shape and the numbers of a transcript, never its content.

Records are decoded from the full text first (so every metric — tokens, costs, tool statuses, output
sizes — is exact), then what is stored is redacted: every string of a raw record is replaced by
`"[redacted sha256:<first 16 hex> len:<bytes>]"` except the structural fields the decoder and the
analytics read (ids, types, roles, models, tool names, statuses, timestamps); tool arguments become
`{"redacted": {"sha256", "bytes"}}`; the derived columns that hold text (argument previews, exec
commands, error texts, problem excerpts) hold only that marker or nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from clawscope.model import ExecInfo, LlmCall, Problem, ToolCall, ToolResult, TranscriptBatch

KEEP = frozenset(
    {
        "type",
        "id",
        "parentId",
        "timestamp",
        "role",
        "provider",
        "model",
        "modelId",
        "modelApi",
        "api",
        "stopReason",
        "toolCallId",
        "toolName",
        "customType",
        "name",
        "responseId",
        "runId",
        "status",
        "version",
        "thinkingLevel",
        "firstKeptEntryId",
        "parentToolCallId",
        "host",
        "security",
        "ask",
    }
)
_ARGS = frozenset({"arguments", "input"})


def marker(data: bytes) -> str:
    return f"[redacted sha256:{hashlib.sha256(data).hexdigest()[:16]} len:{len(data)}]"


def _args_marker(data: bytes) -> dict[str, Any]:
    return {"redacted": {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}}


def _walk(value: Any, key: str | None) -> Any:
    if isinstance(value, str):
        return value if key in KEEP and len(value) <= 200 else marker(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _ARGS and isinstance(v, dict | list | str):
                out[k] = _args_marker(msgspec.json.encode(v))
            else:
                out[k] = _walk(v, k)
        return out
    if isinstance(value, list):
        return [_walk(v, key) for v in value]
    return value  # numbers, booleans, null: tokens, costs, exit codes, durations


def redact_raw(raw: bytes) -> bytes:
    """The record with its content replaced by hashes and lengths (a non-JSON record: a marker)."""
    try:
        obj = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return msgspec.json.encode(marker(raw))
    return msgspec.json.encode(_walk(obj, None))


def _call(t: ToolCall) -> ToolCall:
    args = msgspec.json.encode(_args_marker(t.arguments)) if t.arguments is not None else None
    x = t.exec
    exec_info = None if x is None else ExecInfo(None, x.elevated, x.host, x.security, x.ask)
    return msgspec.structs.replace(t, arguments=args, exec=exec_info)


def _result(r: ToolResult) -> ToolResult:
    return r if r.error_text is None else msgspec.structs.replace(r, error_text=marker(r.error_text.encode()))


def _llm(c: LlmCall) -> LlmCall:
    if c.error_message is None:
        return c
    return msgspec.structs.replace(c, error_message=marker(c.error_message.encode()))


def _problem(p: Problem) -> Problem:
    return msgspec.structs.replace(p, excerpt=marker(p.excerpt.encode()) if p.excerpt else "")


def redact_batch(batch: TranscriptBatch) -> TranscriptBatch:
    """The batch as `trace_only` stores it."""
    return TranscriptBatch(
        batch.session_id,
        entries=[msgspec.structs.replace(e, raw=redact_raw(e.raw)) for e in batch.entries],
        llm_calls=[_llm(c) for c in batch.llm_calls],
        tool_calls=[_call(t) for t in batch.tool_calls],
        tool_results=[_result(r) for r in batch.tool_results],
        compactions=batch.compactions,
        changes=batch.changes,
        problems=[_problem(p) for p in batch.problems],
    )

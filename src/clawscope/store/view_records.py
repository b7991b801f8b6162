"""Stored rows and raw records into the structs detectors read (`model.detection`): pure functions, no
SQL, used by `store.detection` (which reads the rows in batches)."""

from __future__ import annotations

from typing import Any

import orjson

from clawscope.model.detection import EntryView, ModelCallView, SessionInfo, ToolUse
from clawscope.sources.session_keys import parse_session_key

_TEXT_BLOCKS = frozenset(("text", "output_text", "input_text"))
_PEER_CHAT = {"direct": "direct", "group": "group", "channel": "channel", "room": "group"}


def session_info(
    r: dict[str, Any], runs: dict[str, str], window: int | None = None, result_text: str | None = None
) -> SessionInfo:
    key = r["key"]
    parsed = parse_session_key(key) if key else None
    chat_type = r["chat_type"] or (_PEER_CHAT.get(str(parsed.kind)) if parsed else None)
    depth = r["spawn_depth"]
    if depth is None and parsed is not None and parsed.spawn_depth:
        depth = parsed.spawn_depth
    return SessionInfo(
        session_id=r["session_id"],
        instance=r["instance"],
        agent=r["agent_id"],
        key=key.lower() if key else None,
        kind=r["kind"],
        channel=r["channel"] or (parsed.channel if parsed else None),
        chat_type=chat_type,
        parent_session_id=r["parent_session_id"],
        parent_key=r["parent_key"].lower() if r["parent_key"] else None,
        spawn_depth=depth,
        status=r["status"] or (runs.get(key) if key else None),
        cwd=r["cwd"],
        elevated_level=r["elevated_level"],
        model=r["model"],
        provider=r["model_provider"],
        label=r["label"],
        started_ms=r["started_ms"] if r["started_ms"] is not None else r["first_ms"],
        last_ms=r["last_ms"],
        context_window=window,
        result_text=result_text,
    )


def pos_of(by_id: dict[str, EntryView], entry_id: str | None) -> int:
    e = by_id.get(entry_id or "")
    return e.pos if e is not None else 1 << 62


def model_calls(rows: list[Any], by_id: dict[str, EntryView]) -> tuple[ModelCallView, ...]:
    """Rows are tuples in `store.detection._LLM_SQL`'s column order (unpacked: no dict per row)."""
    out: list[tuple[int, ModelCallView]] = []
    for _, entry_id, ts_ms, provider, model, stop, error, input_, read, write, output in rows:
        call = ModelCallView(
            entry_id=entry_id,
            ts_ms=ts_ms,
            provider=provider,
            model=model,
            stop_reason=stop,
            error_message=error,
            input_tokens=int(input_ or 0),
            cache_read=int(read or 0),
            cache_write=int(write or 0),
            output_tokens=int(output or 0),
        )
        out.append((pos_of(by_id, entry_id), call))
    out.sort(key=lambda t: t[0])  # stable: rows of one position keep their order
    return tuple(t[1] for t in out)


def tool_uses(rows: list[Any], by_id: dict[str, EntryView], output_limit: int) -> tuple[ToolUse, ...]:
    """Rows are tuples in `store.detection._TOOLS_SQL`'s column order (unpacked: no dict per row)."""
    out: list[tuple[int, int, ToolUse]] = []
    for (
        _,
        call_id,
        call_entry_id,
        result_entry_id,
        nested_entry_id,
        wrapper,
        ts_ms,
        result_ts_ms,
        name,
        status,
        exit_code,
        error_text,
        duration_ms,
        exec_command,
        exec_elevated,
        exec_host,
        exec_security,
    ) in rows:
        call_entry = by_id.get(call_entry_id or "")
        index, args = _call_arguments(call_entry, call_id, wrapper)
        result = by_id.get(result_entry_id or "")
        out.append(
            (
                pos_of(by_id, call_entry_id),
                index,
                ToolUse(
                    call_id=call_id,
                    call_entry_id=call_entry_id,
                    result_entry_id=result_entry_id or nested_entry_id,
                    ts_ms=ts_ms if ts_ms is not None else result_ts_ms,
                    name=name,
                    arguments=args,
                    status=status,
                    exit_code=exit_code,
                    error_text=error_text,
                    output_text=result.text[:output_limit] if result is not None else "",
                    duration_ms=duration_ms,
                    exec_command=exec_command,
                    exec_elevated=exec_elevated,
                    exec_host=exec_host,
                    exec_security=exec_security,
                ),
            )
        )
    out.sort(key=lambda t: (t[0], t[1], t[2].call_id))
    return tuple(t[2] for t in out)


def _call_arguments(entry: EntryView | None, call_id: str, wrapper: str | None) -> tuple[int, dict[str, Any]]:
    """(block index, whole arguments) of a tool call, from its raw entry (unwrapped when it is wrapped)."""
    if entry is None:
        return 0, {}
    msg = entry.record.get("message")
    content = msg.get("content") if isinstance(msg, dict) else None
    if not isinstance(content, list):
        return 0, {}
    suffix = "@" + entry.entry_id
    raw_id = call_id[: -len(suffix)] if call_id.endswith(suffix) else call_id
    position: int | None = None
    if "#" in call_id and call_id.startswith(entry.entry_id + "#"):
        tail = call_id.rsplit("#", 1)[1]
        position = int(tail) if tail.isdigit() else None
    for i, block in enumerate(content):
        if not isinstance(block, dict) or block.get("type") not in ("toolCall", "tool_use"):
            continue
        if block.get("id") == raw_id or (position == i and not block.get("id")):
            args = block.get("arguments", block.get("input"))
            if isinstance(args, str):
                try:
                    args = orjson.loads(args)
                except orjson.JSONDecodeError:
                    args = {"_raw": args}
            if wrapper and isinstance(args, dict) and isinstance(args.get("args"), dict):
                args = args["args"]
            return i, args if isinstance(args, dict) else {}
    return 0, {}


def entry_text(record: dict[str, Any]) -> str:
    """The text of an entry: its message's text blocks joined, a compaction's summary, a custom text."""
    msg = record.get("message")
    if isinstance(msg, dict):
        return _content_text(msg.get("content"))
    if record.get("type") == "compaction":
        return _str(record.get("summary")) or ""
    return _content_text(record.get("content"))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            [
                t
                for b in content
                if type(b) is dict and b.get("type") in _TEXT_BLOCKS and type(t := b.get("text")) is str
            ]
        )
    return ""


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None

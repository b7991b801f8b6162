"""The transcript records of both eras, with the key order OpenClaw writes (format doc §2).

Version 3 (JSONL era, 2026.3.24) and version 4 (SQLite era, 2026.9.6) records carry the same logical
fields but differ in details this module keeps apart: key order of `model_change` and
`thinking_level_change`, user content as text blocks (v3) or a plain string with `__openclaw` and
`idempotencyKey` (v4), and the `__openclaw.runId` / `openclawDelivery` stamps on v4 messages. Builders
return plain dicts; usage objects arrive pre-serialised (see `jsonfmt`).
"""

from __future__ import annotations

from typing import Any

import orjson

from clawscope.demo.clock import iso


def header(version: int, session_id: str, ts: int, cwd: str) -> dict[str, Any]:
    return {"type": "session", "version": version, "id": session_id, "timestamp": iso(ts), "cwd": cwd}


def model_change(
    version: int, eid: str, parent: str | None, ts: int, *, provider: str, model_id: str
) -> dict[str, Any]:
    if version >= 4:
        return {
            "type": "model_change",
            "provider": provider,
            "modelId": model_id,
            "id": eid,
            "parentId": parent,
            "timestamp": iso(ts),
        }
    return {
        "type": "model_change",
        "id": eid,
        "parentId": parent,
        "timestamp": iso(ts),
        "provider": provider,
        "modelId": model_id,
    }


def thinking_change(version: int, eid: str, parent: str | None, ts: int, level: str) -> dict[str, Any]:
    if version >= 4:
        return {
            "type": "thinking_level_change",
            "thinkingLevel": level,
            "id": eid,
            "parentId": parent,
            "timestamp": iso(ts),
        }
    return {
        "type": "thinking_level_change",
        "id": eid,
        "parentId": parent,
        "timestamp": iso(ts),
        "thinkingLevel": level,
    }


def custom(eid: str, parent: str | None, ts: int, custom_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "custom",
        "customType": custom_type,
        "data": data,
        "id": eid,
        "parentId": parent,
        "timestamp": iso(ts),
    }


def snapshot_data(ts: int, provider: str, api: str, model_id: str) -> dict[str, Any]:
    return {"timestamp": ts, "provider": provider, "modelApi": api, "modelId": model_id}


def message(eid: str, parent: str | None, ts: int, msg: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "id": eid, "parentId": parent, "timestamp": iso(ts), "message": msg}


def user(
    version: int, text: str, ts: int, *, run_id: str | None, owner: bool, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A user message; v4 stamps the owner flag and the run's idempotency key."""
    if version >= 4:
        msg: dict[str, Any] = {
            "role": "user",
            "content": text,
            "timestamp": ts,
            "__openclaw": {"senderIsOwner": owner},
        }
        if run_id is not None:
            msg["idempotencyKey"] = f"{run_id}:user"
    else:
        msg = {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": ts}
    if extra:
        msg.update(extra)
    return msg


def assistant(
    version: int,
    content: list[dict[str, Any]],
    *,
    api: str | None,
    provider: str | None,
    model: str | None,
    usage: orjson.Fragment,
    stop: str,
    ts: int,
    response_id: str | None = None,
    error: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """An assistant message. Rows OpenClaw writes itself (`injected`) have no api/provider/model."""
    msg: dict[str, Any] = {"role": "assistant", "content": content}
    if provider is not None:
        msg["api"] = api
        msg["provider"] = provider
        msg["model"] = model
    msg["usage"] = usage
    msg["stopReason"] = stop
    msg["timestamp"] = ts
    if error is not None:
        msg["errorMessage"] = error
    if response_id is not None:
        msg["responseId"] = response_id
    if version >= 4 and run_id is not None:
        if stop == "toolUse":
            msg["openclawDelivery"] = {"textPhaseRequiresTerminal": True}
        msg["__openclaw"] = {"runId": run_id}
    return msg


def tool_result(
    version: int,
    call_id: str,
    *,
    tool_name: str,
    text: str,
    details: dict[str, Any] | None,
    is_error: bool,
    ts: int,
    run_id: str | None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "role": "toolResult",
        "toolCallId": call_id,
        "toolName": tool_name,
        "content": [{"type": "text", "text": text}],
    }
    if details is not None:
        msg["details"] = details
    msg["isError"] = is_error
    msg["timestamp"] = ts
    if version >= 4 and run_id is not None:
        msg["__openclaw"] = {"runId": run_id}
    return msg


def nested_tool(
    *,
    run_id: str,
    scope_id: str,
    after_entry_id: str,
    order: int,
    parent_call_id: str,
    tool: str,
    args: dict[str, Any],
    result: dict[str, Any],
    is_error: bool,
    started: int,
    ended: int,
) -> dict[str, Any]:
    """The `openclaw.nested-tool.v1` record of a tool run through the Tool Search wrapper (2026.9.6)."""
    inner_id = f"tool_search_code:{parent_call_id}:{tool}:{order + 1}"
    return {
        "role": "custom",
        "customType": "openclaw.nested-tool.v1",
        "display": True,
        "excludeFromContext": True,
        "content": "",
        "details": {
            "runId": run_id,
            "scopeId": scope_id,
            "afterEntryId": after_entry_id,
            "startOrder": order,
            "parentToolCallId": parent_call_id,
            "toolCallId": inner_id,
            "toolName": tool,
            "input": args,
            "result": result,
            "isError": is_error,
            "startedAt": started,
            "timestamp": ended,
        },
        "timestamp": started,
        "idempotencyKey": f"{scope_id}:{inner_id}",
    }


def compaction(
    eid: str,
    parent: str | None,
    ts: int,
    *,
    summary: str,
    first_kept: str,
    tokens_before: int,
    read_files: list[str],
    modified_files: list[str],
) -> dict[str, Any]:
    return {
        "type": "compaction",
        "id": eid,
        "parentId": parent,
        "timestamp": iso(ts),
        "summary": summary,
        "firstKeptEntryId": first_kept,
        "tokensBefore": tokens_before,
        "details": {"readFiles": read_files, "modifiedFiles": modified_files},
        "fromHook": False,
    }

"""Small builders of OpenClaw-shaped records and state dirs for tests (shapes as in the real samples)."""

from __future__ import annotations

import json
from itertools import count
from pathlib import Path
from typing import Any

_ids = count(1)


def eid() -> str:
    return f"{next(_ids):08x}"


def header(session_id: str, version: int = 3) -> dict[str, Any]:
    return {
        "type": "session",
        "version": version,
        "id": session_id,
        "timestamp": "2026-11-01T10:00:00.000Z",
        "cwd": "/home/u/workspace",
    }


def user(text: str, ts: str = "2026-11-01T10:00:01.000Z") -> dict[str, Any]:
    return {
        "type": "message",
        "id": eid(),
        "parentId": None,
        "timestamp": ts,
        "message": {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": 1793527201000},
    }


def assistant(
    input: int = 1000,
    output: int = 50,
    cost: float = 0.01,
    model: str = "claude-sonnet-4-5",
    provider: str = "anthropic",
    ts: str = "2026-11-01T10:00:02.000Z",
    stop: str = "stop",
    tools: list[dict[str, Any]] | None = None,
    cache_read: int = 0,
) -> dict[str, Any]:
    usage = {
        "input": input,
        "output": output,
        "cacheRead": cache_read,
        "cacheWrite": 0,
        "totalTokens": input + output + cache_read,
        "cost": {"input": cost, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": cost},
    }
    return {
        "type": "message",
        "id": eid(),
        "parentId": None,
        "timestamp": ts,
        "message": {
            "role": "assistant",
            "content": tools or [{"type": "text", "text": "ok"}],
            "api": "anthropic-messages",
            "provider": provider,
            "model": model,
            "usage": usage,
            "stopReason": "toolUse" if tools else stop,
            "timestamp": 1793527201500,
        },
    }


def tool_call(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "toolCall", "id": call_id, "name": name, "arguments": arguments}


def tool_result(
    call_id: str, name: str, error: bool = False, ts: str = "2026-11-01T10:00:03.000Z"
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": eid(),
        "parentId": None,
        "timestamp": ts,
        "message": {
            "role": "toolResult",
            "toolCallId": call_id,
            "toolName": name,
            "isError": error,
            "content": [{"type": "text", "text": "boom" if error else "fine"}],
            "details": {"status": "error" if error else "completed"},
            "timestamp": 1793527203000,
        },
    }


def jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def state_dir(root: Path, agent: str = "main") -> Path:
    """An empty JSONL-era state dir with one agent; returns its sessions folder."""
    sessions = root / "agents" / agent / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    (root / "openclaw.json").write_text("{}")
    return sessions


def write_session(
    sessions: Path,
    session_id: str,
    records: list[dict[str, Any]],
    key: str | None = None,
    name: str | None = None,
) -> Path:
    path = sessions / (name or f"{session_id}.jsonl")
    path.write_text(jsonl([header(session_id), *records]))
    if key is not None:
        store_path = sessions / "sessions.json"
        data = json.loads(store_path.read_text()) if store_path.exists() else {}
        data[key] = {"sessionId": session_id, "updatedAt": 1793527201000}
        store_path.write_text(json.dumps(data))
    return path

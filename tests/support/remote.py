"""Helpers shared by the remote-ingestion tests: registration and signed webhook requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import Any

WEBHOOK = "/api/v1/openclaw/webhook"


def register(client: Any, admin_key: str, mode: str = "full", agent_key: str = "main") -> tuple[str, str]:
    """Register an instance and an agent through the API with a key holding `admin`; return
    (instance id, webhook secret)."""
    h = {"Authorization": f"Bearer {admin_key}"}
    name = f"inst-{uuid.uuid4().hex[:8]}"
    r = client.post(
        "/api/v1/openclaw/instances",
        json={
            "name": name,
            "gateway_url": "http://127.0.0.1:18789",
            "api_key": "gw-token-SECRET",
            "ingestion_mode": mode,
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    instance_id = r.json()["id"]
    r = client.post(
        "/api/v1/openclaw/agents",
        json={
            "instance_id": instance_id,
            "agent_key": agent_key,
            "agent_name": "Main",
            "model": "fake-model",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    return instance_id, r.json()["webhook_secret"]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(
    key: str,
    secret: str,
    body: bytes,
    *,
    timestamp: int | None = None,
    nonce: str | None = "auto",
    prefix: str = "X-Clawscope",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    h = {
        "Content-Type": "application/json",
        f"{prefix}-API-Key": key,
        f"{prefix}-Timestamp": stamp,
        f"{prefix}-Signature": sign(secret, stamp, body),
    }
    if nonce is not None:
        h[f"{prefix}-Nonce"] = secrets.token_hex(12) if nonce == "auto" else nonce
    return h


def session_body(instance_id: str, session_id: str | None = None, text: str = "hello", n: int = 3) -> bytes:
    """A session of `n` user/assistant turns with one tool call, as raw transcript records."""
    sid = session_id or str(uuid.uuid4())
    recs: list[dict[str, Any]] = [
        {"type": "session", "version": 3, "id": sid, "timestamp": "2026-11-01T10:00:00.000Z", "cwd": "/w"}
    ]
    parent = None
    for i in range(n):
        ts = f"2026-11-01T10:{i:02d}:01.000Z"
        user = {
            "type": "message",
            "id": f"u{i}",
            "parentId": parent,
            "timestamp": ts,
            "message": {"role": "user", "content": [{"type": "text", "text": f"{text} user {i}"}]},
        }
        call = {
            "type": "message",
            "id": f"a{i}",
            "parentId": f"u{i}",
            "timestamp": ts,
            "message": {
                "role": "assistant",
                "provider": "fake",
                "model": "fake-model",
                "api": "openai-completions",
                "stopReason": "toolUse",
                "content": [
                    {"type": "text", "text": f"{text} answer {i}"},
                    {
                        "type": "toolCall",
                        "id": f"c{i}",
                        "name": "exec",
                        "arguments": {"command": f"echo {text} {i}"},
                    },
                ],
                "usage": {
                    "input": 100,
                    "output": 10,
                    "cacheRead": 0,
                    "cacheWrite": 0,
                    "totalTokens": 110,
                    "cost": {
                        "input": 0.0003,
                        "output": 0.00015,
                        "cacheRead": 0,
                        "cacheWrite": 0,
                        "total": 0.00045,
                    },
                },
            },
        }
        result = {
            "type": "message",
            "id": f"r{i}",
            "parentId": f"a{i}",
            "timestamp": ts,
            "message": {
                "role": "toolResult",
                "toolCallId": f"c{i}",
                "toolName": "exec",
                "content": [{"type": "text", "text": f"{text} output {i}"}],
                "details": {"status": "completed", "exitCode": 0, "durationMs": 5},
                "isError": i == 1,
            },
        }
        recs += [user, call, result]
        parent = f"r{i}"
    payload = {
        "session_id": sid,
        "instance_id": instance_id,
        "agent_name": "main",
        "status": "completed",
        "message_count": len(recs),
        "entries": recs,
    }
    return json.dumps(payload).encode()


def rounded(obj: Any) -> Any:
    """Numbers as a person compares them: floats to 12 significant digits (sums in another order
    differ in the last bit)."""
    if isinstance(obj, float):
        return float(f"{obj:.12g}")
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [rounded(v) for v in obj]
    return obj

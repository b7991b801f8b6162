"""OpenClaw event webhooks and forwarded plugin hooks at /api/v1/openclaw/events."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from clawscope import webhooks
from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.store.row_totals import totals
from clawscope.web import create_app
from tests.support.env import FIXTURES
from tests.support.server import auth

SECRET = "s3cret-for-events"
URL = "/api/v1/openclaw/events"


def signature(secret: str, body: bytes) -> str:
    return webhooks.signature(secret.encode(), body)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="test-host", events_secret=SECRET)


def post(client: TestClient, envelope: Any, secret: str = SECRET, **headers: str) -> Any:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    h = {
        "Content-Type": "application/json",
        "X-OpenClaw-Signature": signature(secret, body),
        **headers,
    }
    return client.post(URL, content=body, headers=h)


AFTER_TOOL = {
    "event": "after_tool_call",
    "timestamp": 1795238960015,
    "data": {
        "toolName": "exec",
        "params": {"command": "echo hi"},
        "runId": "run-1",
        "toolCallId": "call_1",
        "result": {"content": [{"type": "text", "text": "hi"}]},
        "error": None,
        "durationMs": 41,
        "context": {"agentId": "main", "sessionKey": "agent:main:main", "sessionId": "sess-1"},
    },
}

SEED_003 = {
    "event": "message.sent",
    "timestamp": "2026-04-30T10:42:00Z",
    "data": {
        "messageId": "msg_abc123",
        "workspace": "team",
        "userId": "telegram:123456789",
        "channel": "telegram",
        "response": "Here is your summary...",
        "tokensUsed": 842,
        "latencyMs": 2100,
    },
}


def test_after_tool_call_is_stored_and_published(client: TestClient, store: Store, make_key: Any) -> None:
    r = post(client, AFTER_TOOL)
    assert r.status_code == 202, r.text
    assert r.json() == {
        "accepted": True,
        "duplicate": False,
        "event": "after_tool_call",
        "category": "tool",
        "published": ["tool.call"],
    }
    [ev] = store.events.read_after(0)
    assert (ev.type, ev.agent, ev.session_id, ev.ts_ms) == ("tool.call", "main", "sess-1", 1795238960015)
    assert ev.payload["name"] == "exec" and ev.payload["status"] == "ok" and ev.payload["source"] == "hook"
    assert ev.payload["callId"] == "call_1" and ev.payload["durationMs"] == 41
    obs = client.get("/api/v1/openclaw/observations", headers=auth(make_key("sessions:read"))).json()
    [o] = obs["observations"]
    assert (o["source"], o["category"], o["tool_name"], o["call_id"], o["run_id"]) == (
        "hook",
        "tool",
        "exec",
        "call_1",
        "run-1",
    )
    assert o["payload"]["params"] == {"command": "echo hi"}


def test_a_resend_is_stored_once(client: TestClient, store: Store) -> None:
    assert post(client, AFTER_TOOL).json()["duplicate"] is False
    again = post(client, AFTER_TOOL).json()
    assert again["duplicate"] is True and again["published"] == []
    assert store.events.max_id() == 1


def test_hook_events_never_count_in_the_transcript_statistics(client: TestClient, store: Store) -> None:
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="x")

    def stats() -> Any:
        with store.engine.connect() as conn:
            return totals(conn, Filters())

    before = stats()
    for name in ("after_tool_call", "llm_output"):
        data = {
            "toolName": "exec",
            "usage": {"input": 100, "output": 5, "total": 105},
            "sessionId": "e43552a8",
        }
        assert post(client, {"event": name, "timestamp": 1, "data": data}).status_code == 202
    assert stats() == before
    assert before


@pytest.mark.parametrize(
    ("name", "data", "category", "published"),
    [
        ("message.received", {"message": "hi", "channel": "telegram"}, "message", "session.updated"),
        ("message.sent", SEED_003["data"], "message", "session.updated"),
        ("session.started", {"sessionId": "s"}, "session", "session.updated"),
        ("session.ended", {"sessionId": "s"}, "session", "session.updated"),
        ("error.agent", {"error": "model unavailable"}, "problem", "problem"),
        ("channel.disconnected", {"channel": "slack"}, "problem", "problem"),
        (
            "session_end",
            {"sessionId": "s", "messageCount": 4, "reason": "idle"},
            "session",
            "session.updated",
        ),
        (
            "subagent_spawned",
            {"childSessionKey": "agent:main:subagent:x", "agentId": "main"},
            "session",
            "session.updated",
        ),
        (
            "subagent_ended",
            {"targetSessionKey": "agent:main:subagent:x", "outcome": "error"},
            "session",
            "session.updated",
        ),
        (
            "llm_output",
            {
                "runId": "r",
                "sessionId": "s",
                "provider": "fake",
                "model": "m",
                "usage": {"input": 3, "output": 4},
            },
            "llm",
            "llm.call",
        ),
        ("gateway_start", {}, "other", None),
    ],
)
def test_every_event_kind(
    client: TestClient, store: Store, name: str, data: dict[str, Any], category: str, published: str | None
) -> None:
    r = post(client, {"event": name, "timestamp": "2026-04-30T10:42:00Z", "data": data})
    assert r.status_code == 202, r.text
    assert r.json()["category"] == category
    assert r.json()["published"] == ([published] if published else [])
    if published == "llm.call":
        [ev] = store.events.read_after(0)
        assert (ev.payload["tokensIn"], ev.payload["tokensOut"], ev.payload["model"]) == (3, 4, "m")


def test_gzip_body(client: TestClient) -> None:
    body = gzip.compress(json.dumps(SEED_003).encode())
    r = post(client, body, **{"Content-Encoding": "gzip"})
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (
            json.dumps(SEED_003).encode(),
            {"X-OpenClaw-Signature": "sha256=" + "0" * 64},
            401,
            "invalid_signature",
        ),
        (json.dumps(SEED_003).encode(), {"X-OpenClaw-Signature": ""}, 401, "invalid_signature"),
        (b"not json", None, 422, "invalid_request"),
        (b"[1, 2]", None, 422, "invalid_request"),
        (json.dumps({"timestamp": 1, "data": {}}).encode(), None, 422, "invalid_request"),
        (json.dumps({"event": "x", "data": []}).encode(), None, 422, "invalid_request"),
        (json.dumps({"event": "x", "timestamp": "yesterday"}).encode(), None, 422, "invalid_request"),
    ],
)
def test_rejections(
    client: TestClient, body: bytes, headers: dict[str, str] | None, status: int, code: str
) -> None:
    h = {
        "Content-Type": "application/json",
        "X-OpenClaw-Signature": signature(SECRET, body),
    }
    h.update(headers or {})
    r = client.post(URL, content=body, headers=h)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code


def test_wrong_secret_and_no_secret(client: TestClient, settings: Settings, store: Store) -> None:
    assert post(client, SEED_003, secret="other").status_code == 401
    with TestClient(create_app(replace(settings, events_secret=""), store=store)) as off:
        r = post(off, SEED_003)
        assert r.status_code == 401
        assert "events_secret" in r.json()["error"]["message"]
    assert store.events.max_id() == 0


def test_too_large(settings: Settings, store: Store) -> None:
    with TestClient(create_app(replace(settings, webhook_max_bytes=200), store=store)) as small:
        big = {"event": "message.sent", "data": {"response": "x" * 500}}
        assert post(small, big).status_code == 413
        zipped = gzip.compress(json.dumps(big).encode())
        assert len(zipped) < 200
        r = post(small, zipped, **{"Content-Encoding": "gzip"})
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "payload_too_large"


def test_large_tool_results_are_kept_as_previews(client: TestClient, make_key: Any) -> None:
    env = json.loads(json.dumps(AFTER_TOOL))
    env["data"]["result"] = "y" * 10_000
    assert post(client, env).status_code == 202
    [o] = client.get("/api/v1/openclaw/observations", headers=auth(make_key("sessions:read"))).json()[
        "observations"
    ]
    assert o["payload"]["result"]["truncated"] is True
    assert o["payload"]["result"]["bytes"] == 10_002

"""Hostile request bodies on the ingestion endpoints (issue 13, item 5): JSON nested thousands of levels
deep is refused with its own error (422 for webhooks, 400 for OTLP), never a 500 or a dropped connection.
Over real HTTP on loopback, both backends."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from clawscope import webhooks
from clawscope.config import Settings
from clawscope.sources.nesting import MAX_DEPTH
from tests.support.server import LiveServer, auth

SECRET = "s3cret-for-events"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="test-host", events_secret=SECRET)


def nested_envelope(depth: int) -> bytes:
    return b'{"event":"after_tool_call","timestamp":1,"data":{"params":' + b"[" * depth + b"]" * depth + b"}}"


@pytest.mark.parametrize("depth", [1200, 5000, 100_000])
def test_a_deeply_nested_event_webhook_is_a_422(live_server: LiveServer, depth: int) -> None:
    body = nested_envelope(depth)
    sig = webhooks.signature(SECRET.encode(), body)
    r = httpx.post(
        f"{live_server.url}/api/v1/openclaw/events",
        content=body,
        headers={"Content-Type": "application/json", "X-OpenClaw-Signature": sig},
        timeout=30,
    )
    assert r.status_code == 422, r.text
    assert "nested" in r.json()["error"]["message"]


def test_an_event_webhook_nested_to_the_limit_is_accepted(live_server: LiveServer) -> None:
    body = nested_envelope(MAX_DEPTH - 3)  # the envelope and data objects are two levels
    sig = webhooks.signature(SECRET.encode(), body)
    r = httpx.post(
        f"{live_server.url}/api/v1/openclaw/events",
        content=body,
        headers={"Content-Type": "application/json", "X-OpenClaw-Signature": sig},
        timeout=30,
    )
    assert r.status_code == 202, r.text


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/logs", "/v1/metrics"])
def test_a_deeply_nested_otlp_json_body_is_a_400(
    live_server: LiveServer, make_key: Callable[..., str], path: str
) -> None:
    body = b'{"resourceSpans":' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = httpx.post(
        live_server.url + path,
        content=body,
        headers={"Content-Type": "application/json", **auth(make_key("ingest:write"))},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    assert "nested" in r.text


@pytest.mark.parametrize("depth", [1200, 5000])
def test_a_deeply_nested_session_webhook_is_a_422(
    live_server: LiveServer, make_key: Callable[..., str], depth: int
) -> None:
    body = b'{"agent_name":"main","instance_id":"i","x":' + b"[" * depth + b"]" * depth + b"}"
    r = httpx.post(
        f"{live_server.url}/api/v1/openclaw/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Clawscope-Signature": "sha256=00",
            # a fresh timestamp: a stale one is refused before the body is read (and says so)
            "X-Clawscope-Timestamp": str(int(time.time())),
            **auth(make_key("ingest:write")),
        },
        timeout=30,
    )
    assert r.status_code == 422, r.text

"""Hostile request bodies against a real server on loopback (issue 13, item 5): JSON nested far beyond any
decoder's recursion limit is answered with its own error, never a 500 or a dropped connection. The
endpoint-by-endpoint cases live in tests/web/test_hostile_bodies.py; this is the attack run's sweep."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from clawscope import webhooks
from clawscope.config import Settings
from tests.support.server import LiveServer, auth

SECRET = "attack-events-secret"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="attack", events_secret=SECRET)


def test_deep_nesting_on_every_ingestion_endpoint(
    live_server: LiveServer, make_key: Callable[..., str]
) -> None:
    key = auth(make_key("ingest:write"))
    for depth in (1_200, 5_000, 50_000):
        deep = b"[" * depth + b"]" * depth
        event = b'{"event":"x","timestamp":1,"data":{"p":' + deep + b"}}"
        answers = {
            "events": httpx.post(
                f"{live_server.url}/api/v1/openclaw/events",
                content=event,
                headers={
                    "Content-Type": "application/json",
                    "X-OpenClaw-Signature": webhooks.signature(SECRET.encode(), event),
                },
                timeout=60,
            ).status_code,
            "session webhook": httpx.post(
                f"{live_server.url}/api/v1/openclaw/webhook",
                content=b'{"agent_name":"main","x":' + deep + b"}",
                headers={  # a fresh timestamp: a stale one is refused before the body is read
                    "Content-Type": "application/json",
                    "X-Clawscope-Signature": "sha256=00",
                    "X-Clawscope-Timestamp": str(int(time.time())),
                    **key,
                },
                timeout=60,
            ).status_code,
            "otlp": httpx.post(
                f"{live_server.url}/v1/traces",
                content=b'{"resourceSpans":' + deep + b"}",
                headers={"Content-Type": "application/json", **key},
                timeout=60,
            ).status_code,
        }
        assert answers == {"events": 422, "session webhook": 422, "otlp": 400}, depth

"""Scale out: two `clawscope serve` processes (replicas) on different ports over one PostgreSQL serve the
same numbers, and each stream event reaches each subscriber exactly once, whichever process wrote it
(a replica taking a webhook, or a separate live-ingest process)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from clawscope import webhooks
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.store.events import Event
from tests.support.env import FIXTURES
from tests.support.serve import Serve
from tests.support.sse import SseReader

pytestmark = pytest.mark.postgres
SECRET = "replica-events-secret"
STREAM = "/api/v1/openclaw/stream"
# every read whose answer does not depend on the time of the request
READS = (
    "/api/v1/stats",
    "/api/v1/stats?from=2026-01-01&to=2027-01-01",
    "/api/v1/stats/models",
    "/api/v1/stats/agents",
    "/api/v1/stats/tools",
    "/api/v1/stats/days",
    "/api/v1/stats/sessions",
    "/api/v1/stats/reconciliation",
    "/api/v1/sessions?limit=200",
    "/api/v1/findings?limit=200",
)


def _envelope(n: int) -> bytes:
    return json.dumps(
        {
            "event": "after_tool_call",
            "timestamp": "2026-11-20T10:00:00Z",
            "data": {
                "toolName": "exec",
                "toolCallId": f"replica-call-{n}",
                "durationMs": 12,
                "context": {"sessionId": "replica-session", "agentId": "main"},
            },
        }
    ).encode()


def _post(url: str, body: bytes) -> httpx.Response:
    signed = webhooks.signature(SECRET.encode(), body)
    headers = {"Content-Type": "application/json", "X-OpenClaw-Signature": signed}
    return httpx.post(url + "/api/v1/openclaw/events", content=body, headers=headers, timeout=30)


def test_two_replicas_on_one_postgresql(pg_url: str, tmp_path: Path) -> None:
    with Store(pg_url) as store:
        ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="replica-test", estimate=False)
        key, _ = store.keys.create("replicas", ("admin",), 100_000)
        env = {"CLAWSCOPE_EVENTS_SECRET": SECRET}
        with (
            Serve(tmp_path / "a", pg_url, "--no-live", extra_env=env) as a,
            Serve(tmp_path / "b", pg_url, "--no-live", extra_env=env) as b,
        ):
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(headers=headers, timeout=30) as client:
                for path in READS:
                    ra, rb = client.get(a.url + path), client.get(b.url + path)
                    assert ra.status_code == rb.status_code == 200, (path, ra.text[:200], rb.text[:200])
                    assert ra.json() == rb.json(), path
                assert client.get(a.url + "/api/v1/stats").json()["totals"]["llmCalls"] > 0

            readers = [SseReader(url + STREAM, headers) for url in (a.url, a.url, b.url, b.url)]
            for r in readers:
                r.__enter__()
            try:
                for n in range(3):  # webhooks taken by each replica in turn
                    assert _post((a, b)[n % 2].url, _envelope(n)).status_code == 202
                # and events written by a third process (as the one live-ingest process would)
                ids = [
                    store.events.append([Event("problem", {"n": n}, agent="main")], store.clock())
                    for n in range(3)
                ]
                got = [r.take(6, timeout=30) + r.quiet(1.0) for r in readers]
            finally:
                for r in readers:
                    r.__exit__(None, None, None)
    for events in got:
        seen = [e.id for e in events]
        assert len(seen) == len(set(seen)) == 6, seen  # each event once, none lost
        assert set(ids) <= set(seen)
        assert sum(e.event == "tool.call" for e in events) == 3
    assert len({tuple(sorted(e.id for e in events)) for events in got}) == 1  # the same six everywhere

"""Live detection in `serve`: a line appended to a transcript that shows a failure reaches a client of
the SSE stream as a `detection` event (live ingest -> detectors on the touched session -> event log)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
from fastapi import FastAPI

from clawscope.store import Store
from clawscope.web.live_ingest import LiveIngest
from clawscope.web.state import AppState
from tests.detect.doubles import registered
from tests.support import builders as b
from tests.support.remote import WEBHOOK, register, session_body, signed_headers
from tests.support.server import LiveServer, auth
from tests.support.sse import SseReader

STREAM = "/api/v1/openclaw/stream"


def failing(call_id: str) -> list[dict]:
    return [
        b.assistant(tools=[b.tool_call(call_id, "exec", command="false")]),
        b.tool_result(call_id, "exec", error=True),
    ]


def test_an_appended_failure_is_a_detection_event(
    app: FastAPI, live_server: LiveServer, store: Store, make_key: Callable[..., str], tmp_path: Path
) -> None:
    sessions = b.state_dir(tmp_path / "openclaw")
    path = b.write_session(sessions, "live-1", [b.user("go"), *failing("c1")], key="agent:main:main")
    state: AppState = app.state.clawscope
    params = {"type": "detection"}
    with registered(), SseReader(live_server.url + STREAM, auth(make_key("sessions:read")), params) as sse:
        live = LiveIngest(state, [tmp_path / "openclaw"]).start()
        try:
            (first,) = sse.take(1, timeout=30)
            assert first.event == "detection" and first.data["sessionId"] == "live-1"
            assert first.data["data"]["detector"] == "test.failed-tool"
            with path.open("a") as fh:  # OpenClaw appends a line: the follow-up failure
                fh.write(b.jsonl(failing("c2")))
            (second,) = sse.take(1, timeout=30)
            found = second.data["data"]
            assert found["family"] == "tool_abuse" and found["id"] != first.data["data"]["id"]
            assert set(found) >= {"id", "severity", "entryIds", "message", "evidence", "firstAt", "lastAt"}
            assert [f.id for f in store.findings.of_session("live-1")] != []
            assert sse.quiet(0.5) == []  # the unchanged first finding is not announced again
        finally:
            live.stop()


def test_a_pushed_session_is_detected_without_delaying_the_webhook(
    app: FastAPI, live_server: LiveServer, store: Store, make_key: Callable[..., str]
) -> None:
    key = make_key("ingest:write")
    with httpx.Client(base_url=live_server.url) as client:
        instance_id, secret = register(client, make_key("admin"))
        body = session_body(instance_id, session_id="pushed-1", n=3)  # its second tool call fails
        with (
            registered(),
            SseReader(
                live_server.url + STREAM, auth(make_key("sessions:read")), {"type": "detection"}
            ) as sse,
        ):
            r = client.post(WEBHOOK, content=body, headers=signed_headers(key, secret, body))
            assert r.status_code == 200, r.text
            (event,) = sse.take(1, timeout=30)
    assert event.data["sessionId"] == "pushed-1" and event.data["data"]["entryIds"][0] == "a1"
    assert [f.anchor_entry_id for f in store.findings.of_session("pushed-1")] == ["a1"]


def test_live_detection_can_be_turned_off(app: FastAPI, store: Store) -> None:
    on = app.state.clawscope
    off = AppState.build(replace(on.settings, detect_live=False), store)
    assert len(on.ingest.after) == 1 and len(on.webhooks.after) == 1 and on.detecting is not None
    assert off.ingest.after == [] and off.webhooks.after == [] and off.detecting is None

"""The SSE stream: live delivery of ingest events, Last-Event-ID resume, filters, heartbeats, auth,
and delivery across server processes sharing one database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from clawscope import webhooks
from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.store import events as log
from clawscope.store.events import Event
from clawscope.web import create_app
from clawscope.web.live_ingest import LiveIngest
from tests.support.env import FIXTURES, ROOT
from tests.support.server import LiveServer, auth, free_port
from tests.support.sse import SseReader

SECRET = "test-events-secret"
STREAM = "/api/v1/openclaw/stream"


def signature(secret: str, body: bytes) -> str:
    return webhooks.signature(secret.encode(), body)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        db=db_url,
        home=tmp_path / "home",
        instance="test-host",
        events_secret=SECRET,
        stream_heartbeat_s=0.2,
        stream_poll_ms=50,
    )


YEAR_MS = 365 * 86_400_000


class Clock:
    """An injected clock (epoch ms) that follows the wall clock from an offset, and can be moved."""

    def __init__(self, offset_ms: int = 0) -> None:
        self.offset_ms = offset_ms

    def __call__(self) -> int:
        return int(time.time() * 1000) + self.offset_ms


# Every test here runs with "now" as it is and with "now" a year ahead: the stream must not depend on
# how old the data is (the fixtures are dated 2026-11-21) or on today's date.
@pytest.fixture(params=[0, YEAR_MS], ids=["now", "a-year-ahead"])
def clock(request: pytest.FixtureRequest) -> Clock:
    return Clock(request.param)


@pytest.fixture
def store(settings: Settings, clock: Clock) -> Iterator[Store]:
    with Store(settings.db_url, clock=clock) as s:
        yield s


def _append(store: Store, *specs: tuple[str, str, str]) -> list[int]:
    """Append events (type, agent, session); return their ids."""
    ids = []
    for type_, agent, session in specs:
        event = Event(type_, {"n": len(ids)}, agent=agent, session_id=session)
        top = store.events.append([event], store.clock())
        ids.append(top)
    return ids


def test_ingest_events_arrive_live(
    live_server: LiveServer, store: Store, make_key: Callable[..., str]
) -> None:
    key = make_key("stats:read")
    with SseReader(live_server.url + STREAM, auth(key)) as sse:
        ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="live")
        got = sse.take(20)
        got += sse.quiet(0.5)
    types = [e.event for e in got]
    stored = store.events.read_after(0)
    assert [e.id for e in got] == [e.id for e in stored]  # every stored event, in order, once
    assert types.count("session.updated") == 4
    assert types.count("llm.call") == 13
    assert types.count("tool.call") == 3
    first = got[0].data
    assert set(first) == {"id", "type", "ts", "agent", "sessionId", "kind", "instance", "data"}
    assert first["instance"] == "live" and first["agent"] == "main"
    assert first["data"]["source"] == "transcript"


def test_reingest_emits_nothing(store: Store) -> None:
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="x")
    top = store.events.max_id()
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="x")
    assert store.events.max_id() == top


def test_big_units_get_summaries_only(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from clawscope.store import ingest_events

    monkeypatch.setattr(ingest_events, "DETAIL_LIMIT", 2)
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="x")
    types = log.by_type(store.events.read_after(0))
    assert types == {"session.updated": 4}


@pytest.mark.parametrize("how", ["header", "query"])
def test_resume_returns_exactly_the_missed_events(
    how: str, live_server: LiveServer, store: Store, make_key: Callable[..., str]
) -> None:
    key = make_key("sessions:read")
    ids = _append(store, *[("tool.call", "a", f"s{i}") for i in range(5)])
    headers, params = auth(key), {}
    if how == "header":
        headers["Last-Event-ID"] = str(ids[1])
    else:
        params["lastEventId"] = ids[1]
    with SseReader(live_server.url + STREAM, headers, params) as sse:
        missed = sse.take(3)
        assert [e.id for e in missed] == ids[2:]
        assert [e.data["sessionId"] for e in missed] == ["s2", "s3", "s4"]
        new = _append(store, ("llm.call", "a", "s5"))
        live = sse.take(1)
        assert [e.id for e in live] == new
        assert sse.quiet(0.4) == []  # nothing twice


def test_without_last_event_id_only_new_events(
    live_server: LiveServer, store: Store, make_key: Callable[..., str]
) -> None:
    _append(store, ("tool.call", "a", "old"))
    with SseReader(live_server.url + STREAM, auth(make_key("stats:read"))) as sse:
        new = _append(store, ("tool.call", "a", "new"))
        got = sse.take(1) + sse.quiet(0.3)
    assert [e.id for e in got] == new


def test_filters(live_server: LiveServer, store: Store, make_key: Callable[..., str]) -> None:
    key = make_key("stats:read")
    url = live_server.url + STREAM
    f1 = {"type": "tool.call", "agent": "a"}
    f2 = {"session": "s2,s3"}
    with SseReader(url, auth(key), f1) as r1, SseReader(url, auth(key), f2) as r2:
        ids = _append(
            store,
            ("tool.call", "a", "s1"),
            ("llm.call", "a", "s2"),
            ("tool.call", "b", "s3"),
            ("tool.call", "a", "s3"),
        )
        got1 = r1.take(2) + r1.quiet(0.3)
        got2 = r2.take(3) + r2.quiet(0.3)
    assert [e.id for e in got1] == [ids[0], ids[3]]
    assert [e.id for e in got2] == ids[1:]
    with SseReader(url, {**auth(key), "Last-Event-ID": "0"}, {"kind": "nope"}) as r3:
        assert r3.quiet(0.3) == []


def test_heartbeats(live_server: LiveServer, make_key: Callable[..., str]) -> None:
    with SseReader(live_server.url + STREAM, auth(make_key("stats:read"))) as sse:
        beats = []
        deadline = time.monotonic() + 5
        while len(beats) < 2 and time.monotonic() < deadline:
            text = sse.comments.get(timeout=5)
            if text == "heartbeat":
                beats.append(text)
    assert beats == ["heartbeat", "heartbeat"]


def test_auth_and_bad_resume_id(live_server: LiveServer, make_key: Callable[..., str]) -> None:
    url = live_server.url + STREAM
    with SseReader(url) as none:
        assert none.status == 401
    with SseReader(url, auth(make_key("audit:read"))) as wrong:
        assert wrong.status == 403
        assert b"insufficient_scope" in wrong.error_body
    with SseReader(url, {**auth(make_key("stats:read")), "Last-Event-ID": "abc"}) as bad:
        assert bad.status == 422
    with SseReader(url, {**auth(make_key("stats:read")), "Last-Event-ID": str(2**64)}) as huge:
        assert huge.status == 422


@pytest.fixture
def other_process(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """A second server process (uvicorn --factory) on the same database."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CLAWSCOPE_DB": settings.db_url,
        "CLAWSCOPE_HOME": str(tmp_path / "home2"),
        "CLAWSCOPE_EVENTS_SECRET": SECRET,
        "CLAWSCOPE_INSTANCE": "other",
        "CLAWSCOPE_CONFIG": str(tmp_path / "none.toml"),
    }
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "clawscope.web.app:app_from_env"]
    errors = (tmp_path / "server2.log").open("wb")
    proc = subprocess.Popen(
        [*cmd, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(
                    "the second server did not start: " + (tmp_path / "server2.log").read_text()
                )
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)
        errors.close()


def _post_event(url: str, envelope: dict[str, Any]) -> httpx.Response:
    import json

    body = json.dumps(envelope).encode()
    headers = {
        "Content-Type": "application/json",
        "X-OpenClaw-Signature": signature(SECRET, body),
    }
    return httpx.post(url + "/api/v1/openclaw/events", content=body, headers=headers, timeout=10)


def test_events_from_another_process_reach_subscribers(
    live_server: LiveServer, other_process: str, store: Store, make_key: Callable[..., str]
) -> None:
    key = make_key("stats:read")
    envelope = {
        "event": "after_tool_call",
        "timestamp": "2026-11-20T10:00:00Z",
        "data": {
            "toolName": "exec",
            "toolCallId": "c1",
            "durationMs": 12,
            "context": {"sessionId": "S", "agentId": "main"},
        },
    }
    with SseReader(live_server.url + STREAM, auth(key)) as sse:
        assert _post_event(other_process, envelope).status_code == 202  # written by the other process
        got = sse.take(1)
    assert [(e.event, e.data["sessionId"], e.data["data"]["name"]) for e in got] == [
        ("tool.call", "S", "exec")
    ]
    assert got[0].data["instance"] == "other"
    # and the other way round: this process writes, the other process's stream delivers
    with SseReader(other_process + STREAM, auth(key)) as sse2:
        ids = _append(store, ("problem", "main", "S"))
        got2 = sse2.take(1)
    assert [e.id for e in got2] == ids


def test_two_apps_in_one_process_share_the_log(settings: Settings, make_key: Callable[..., str]) -> None:
    key = make_key("stats:read")
    with Store(settings.db_url) as s1, Store(settings.db_url) as s2:
        app1: FastAPI = create_app(settings, store=s1)
        app2: FastAPI = create_app(settings, store=s2)
        with LiveServer(app1) as a, LiveServer(app2) as b:
            with SseReader(b.url + STREAM, auth(key)) as sse:
                ids = _append(s1, ("llm.call", "x", "y"))
                assert [e.id for e in sse.take(1)] == ids
            assert a.url != b.url


def test_prune_removes_events_by_when_they_were_stored(store: Store) -> None:
    old_data = Event("problem", {}, ts_ms=1_000)  # the data's own time is far in the past
    store.events.append([old_data], now_ms=4_000)
    store.events.append([old_data, Event("problem", {}, ts_ms=10_000_000_000_000)], now_ms=6_000)
    assert store.events.prune(5_000) == 1  # only the row stored before 5,000
    assert [e.id for e in store.events.read_after(0)] == [2, 3]


def test_importing_old_history_keeps_its_events(app: FastAPI, store: Store, clock: Clock) -> None:
    """The cause of a red main: events of history older than the retention were pruned at once."""
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="x")
    stored = store.events.read_after(0)
    assert len(stored) == 20
    calls = [e for e in stored if e.type == "llm.call"]  # these carry the data's own time
    assert calls and max(e.ts_ms for e in calls) < clock() - 7 * 86_400_000  # older than the retention
    bus = app.state.clawscope.bus
    assert bus.prune() == 0
    assert len(store.events.read_after(0)) == 20
    clock.offset_ms += 8 * 86_400_000  # stored more than a week ago: now they go
    assert bus.prune() == 20
    assert store.events.read_after(0) == []


def _append_line(state_dir: Path, line_id: str, clock: Clock) -> None:
    """Append a user line with a current timestamp to the fixture's first transcript."""
    path = sorted((state_dir / "agents" / "main" / "sessions").glob("*.jsonl"))[0]
    last = json.loads(path.read_text().splitlines()[-1])
    ts = datetime.fromtimestamp(clock() / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    rec = {
        "type": "message",
        "id": line_id,
        "parentId": last.get("id"),
        "timestamp": ts,
        "message": {"role": "user", "content": [{"type": "text", "text": f"ping {line_id}"}], "timestamp": 0},
    }
    with path.open("a") as fh:
        fh.write(json.dumps(rec) + "\n")


def test_a_listening_client_gets_new_lines_after_a_prune(
    app: FastAPI,
    live_server: LiveServer,
    store: Store,
    settings: Settings,
    clock: Clock,
    tmp_path: Path,
    make_key: Callable[..., str],
) -> None:
    """Event ids only grow, also after a prune emptied the log (SQLite reused them before), so a
    subscriber that saw id N still hears the line appended next."""
    state_dir = tmp_path / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    state = app.state.clawscope
    live = LiveIngest(state, [state_dir])
    with SseReader(live_server.url + STREAM, auth(make_key("stats:read"))) as sse:
        live.run_once()
        first = sse.take(20)
        top = first[-1].id
        clock.offset_ms += 8 * 86_400_000
        assert state.bus.prune() == 20  # the log is empty now
        for n in range(3):
            _append_line(state_dir, f"appended{n}", clock)
            live.run_once()
            got = sse.take(1)
            assert [e.event for e in got] == ["session.updated"]
            assert got[0].id > top  # never an id a subscriber has seen
            assert got[0].data["data"]["new"]["entries"] == 1
            top = got[0].id
        assert sse.quiet(0.3) == []


def test_the_bus_keeps_delivering_when_its_listen_connection_breaks(
    app: FastAPI, live_server: LiveServer, store: Store, make_key: Callable[..., str]
) -> None:
    with SseReader(live_server.url + STREAM, auth(make_key("stats:read"))) as sse:
        bus = app.state.clawscope.bus
        if bus._notifications is not None:  # PostgreSQL: kill the LISTEN connection under the bus
            pid = bus._notifications._pg.info.backend_pid
            with store.engine.connect() as conn:
                conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        ids = _append(store, ("tool.call", "a", "after-break"))
        assert [e.id for e in sse.take(1)] == ids
        more = _append(store, ("tool.call", "a", "later"))
        assert [e.id for e in sse.take(1)] == more

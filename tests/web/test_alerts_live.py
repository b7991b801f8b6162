"""Alerts while `serve` runs (the app with live ingest and the alert service, on a real loopback server,
with an injected clock): transcript lines pushing a session over $1 reach the receiver as an alert; a
silence (set through the API) stops the next one; the resolve notice arrives when the window passes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from clawscope.alerts.manage import add_rule
from clawscope.alerts.service import AlertService
from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.live_ingest import LiveIngest
from clawscope.web.state import AppState
from tests.support.alerts import HOUR_MS, MIN_MS, T0, Clock, Transcripts
from tests.support.receivers import HttpReceiver
from tests.support.server import LiveServer, auth


def wait(cond: Callable[[], bool], timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_alert_silence_and_resolve_while_serving(db_url: str, tmp_path: Path) -> None:
    tx = Transcripts(tmp_path / "openclaw")
    tx.call("s1", T0 - 5 * MIN_MS, 0.6)
    clock = Clock(T0)
    with HttpReceiver() as receiver, Store(db_url, clock=clock) as store:
        add_rule(
            store,
            {
                "id": "big", "name": "session over $1", "measure": "session_cost", "threshold": 1,
                "window": "1h", "channels": [{"kind": "webhook", "url": receiver.url + "/in", "id": "hk"}],
            },
        )  # fmt: skip
        app = create_app(Settings(db=db_url, home=tmp_path / "home", instance="test-host"), store=store)
        state: AppState = app.state.clawscope
        live = LiveIngest(state, [tx.root])
        service = AlertService(store, interval_s=0.2, deliver_s=0.05)
        state.alerts = service
        key = auth(store.keys.create("t", ("alerts:write",), 1000)[0])
        with LiveServer(app) as server:
            assert wait(lambda: live.passes >= 1 and service.passes >= 1)

            # a first change seen by the watcher proves it is watching (live ingest's first pass runs
            # before its file watch starts: a line written in between waits for the next change)
            def warm_up() -> bool:
                tx.call("warm-up", T0 - 30 * MIN_MS, 0.0)
                return live.passes >= 2

            assert wait(warm_up)
            assert receiver.requests == []  # $0.60: nothing yet
            tx.call("s1", T0 - MIN_MS, 0.6)  # OpenClaw appends: the session passes $1
            (first,) = receiver.wait(1)
            alert = json.loads(first.body)
            assert alert["type"] == "alert.firing"
            assert alert["data"]["scope"] == "session=s1"
            assert alert["data"]["value"] == 1.2
            silenced = httpx.post(
                f"{server.url}/api/v1/alerts/silences",
                json={"rule_id": "big", "until_ms": T0 + 90 * MIN_MS, "reason": "known"},
                headers=key,
            )
            assert silenced.status_code == 201
            clock.now = T0 + 2 * MIN_MS
            tx.call("s2", T0 + MIN_MS, 1.5)  # a second session over $1, while silenced
            assert wait(lambda: store.sessions.one("s2") is not None)  # ingested live
            evaluated = service.passes
            assert wait(lambda: service.passes >= evaluated + 3)
            assert len(receiver.requests) == 1  # the silence held the second alert back
            clock.now = T0 + 2 * HOUR_MS  # the silence ended and both sessions left the 1 h window
            (_, second) = receiver.wait(2)
            notice = json.loads(second.body)
            assert notice["type"] == "alert.resolved"
            assert notice["data"]["scope"] == "session=s1"
            evaluated = service.passes
            assert wait(lambda: service.passes >= evaluated + 3)
        assert len(receiver.requests) == 2
        assert [h.kind for h in store.alert_outbox.history()] == ["resolved", "firing"]

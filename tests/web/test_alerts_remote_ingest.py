"""Data arriving by the signed session webhook or by OTLP wakes the alert evaluation at once, as an ingest
pass does (not the timer: the service's timer here waits an hour after the first pass).

On a real loopback server with the alert service; the store's clock is injected (the webhook signature's
timestamp follows the wall clock, as OpenClaw's plugin signs it)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from clawscope.alerts.manage import add_rule
from clawscope.alerts.service import AlertService
from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web.state import AppState
from tests.support.alerts import MIN_MS, T0, Clock, Transcripts
from tests.support.receivers import HttpReceiver
from tests.support.remote import WEBHOOK, session_body, signed_headers
from tests.support.server import LiveServer, auth


def wait(cond: Callable[[], bool], timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@dataclass
class Serving:
    url: str
    store: Store
    service: AlertService
    receiver: HttpReceiver
    clock: Clock


@contextmanager
def serving(
    db_url: str, tmp_path: Path, rule: dict[str, object], setup: Callable[[Store], None]
) -> Iterator[Serving]:
    clock = Clock(T0)
    with HttpReceiver() as receiver, Store(db_url, clock=clock) as store:
        setup(store)
        channel = {"kind": "webhook", "url": receiver.url + "/in", "id": "hk"}
        add_rule(store, {"id": "r", "name": "spend", **rule, "channels": [channel]})
        app = create_app(Settings(db=db_url, home=tmp_path / "home", instance="test-host"), store=store)
        state: AppState = app.state.clawscope
        service = AlertService(store, interval_s=3600, deliver_s=0.05, min_gap_s=0)
        state.alerts = service
        with LiveServer(app) as server:
            assert wait(lambda: service.passes >= 1)  # the first pass at start; the timer's next is in 1 h
            yield Serving(server.url, store, service, receiver, clock)


def nothing(_store: Store) -> None:
    pass


def test_a_session_sent_by_webhook_is_evaluated_at_once(db_url: str, tmp_path: Path) -> None:
    with serving(db_url, tmp_path, {"measure": "cost", "threshold": 0.001, "window": "7d"}, nothing) as sv:
        admin = auth(sv.store.keys.create("admin", ("admin",), 1000)[0])
        writer = sv.store.keys.create("w", ("ingest:write",), 1000)[0]
        r = httpx.post(
            f"{sv.url}/api/v1/openclaw/instances",
            json={"name": "gw", "gateway_url": "http://127.0.0.1:18789", "ingestion_mode": "full"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        instance = r.json()["id"]
        r = httpx.post(
            f"{sv.url}/api/v1/openclaw/agents",
            json={"instance_id": instance, "agent_key": "main", "agent_name": "Main", "model": "fake-model"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        secret = r.json()["webhook_secret"]
        assert sv.receiver.requests == []  # nothing stored yet: nothing fired at start
        body = session_body(instance, n=3)  # three calls of $0.00045 on 2026-11-01
        r = httpx.post(sv.url + WEBHOOK, content=body, headers=signed_headers(writer, secret, body))
        assert r.status_code == 200, r.text
        (got,) = sv.receiver.wait(1)
    alert = json.loads(got.body)
    assert alert["type"] == "alert.firing"
    assert alert["data"]["ruleId"] == "r"
    assert round(alert["data"]["value"], 5) == 0.00135


OTLP_SPAN = {
    "resourceSpans": [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "openclaw"}}]},
            "scopeSpans": [
                {
                    "scope": {"name": "openclaw"},
                    "spans": [
                        {
                            "traceId": "5b8efff798038103d269b633813fc60c",
                            "spanId": "eee19b7ec3c1b174",
                            "name": "openclaw.model.usage",
                            "kind": 1,
                            "startTimeUnixNano": str(T0 * 1_000_000),
                            "endTimeUnixNano": str((T0 + 900) * 1_000_000),
                            "attributes": [
                                {"key": "openclaw.provider", "value": {"stringValue": "anthropic"}},
                                {"key": "openclaw.model", "value": {"stringValue": "claude-sonnet-4"}},
                                {"key": "openclaw.sessionId", "value": {"stringValue": "sess-9"}},
                                {"key": "openclaw.tokens.input", "value": {"intValue": "1200"}},
                            ],
                        }
                    ],
                }
            ],
        }
    ]
}


def test_an_otlp_export_wakes_the_evaluation(db_url: str, tmp_path: Path) -> None:
    def costly_session(store: Store) -> None:
        tx = Transcripts(tmp_path / "state")
        tx.call("s1", T0 - 5 * MIN_MS, 2.0)
        tx.ingest(store)

    rule = {"measure": "session_cost", "threshold": 1, "window": "1h"}
    with serving(db_url, tmp_path, rule, costly_session) as sv:
        # the first pass fired; resolve it by moving the window past the session, then only an export
        # (no ingest pass, no timer) can make the evaluation that sees it
        (fired,) = sv.receiver.wait(1)
        assert json.loads(fired.body)["type"] == "alert.firing"
        assert wait(lambda: sv.service.passes >= 2)  # the pass the alert's own stream event asked for
        passes = sv.service.passes
        sv.clock.now = T0 + 2 * 60 * MIN_MS
        writer = auth(sv.store.keys.create("w", ("ingest:write",), 1000)[0])
        r = httpx.post(f"{sv.url}/v1/traces", json=OTLP_SPAN, headers=writer)
        assert r.status_code == 200, r.text
        (_, resolved) = sv.receiver.wait(2)
        assert sv.service.passes > passes
    notice = json.loads(resolved.body)
    assert notice["type"] == "alert.resolved"
    assert notice["data"]["scope"] == "session=s1"

"""Alerting in the exports: the alert families on `GET /metrics` (firing per rule and severity,
notifications per channel and outcome), equal to the store in what the real Prometheus scrapes; the
Alerts dashboard with its queries; the MCP tool `list_alerts` (what `/api/v1/alerts/firing` and
`/history` give, with their scope) through the official MCP client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.manage import add_rule
from clawscope.config import Settings
from clawscope.exports import alerts as exports_alerts
from clawscope.exports import grafana
from clawscope.exports.dashboards import dashboards
from clawscope.retry import RetryPolicy
from clawscope.store import Store
from clawscope.web import create_app
from tests.exports.test_mcp import McpHttp, call, same
from tests.support.alerts import MIN_MS, T0, Clock, Transcripts
from tests.support.prometheus import Prometheus, has_data, require_prometheus
from tests.support.receivers import HttpReceiver
from tests.support.server import LiveServer, auth

NOTIFY = f"{exports_alerts.NOTIFICATIONS}_total"


def alerting(store: Store, tmp: Path, receiver: HttpReceiver) -> None:
    """Two sessions over $1 fire rule `big` (warning) to a good webhook and a dead Slack; rule `huge`
    (critical) does not fire; rule `off` is disabled."""
    tx = Transcripts(tmp / "state")
    tx.call("s1", T0 - 5 * MIN_MS, 1.5)
    tx.call("s2", T0 - 4 * MIN_MS, 2.5)
    tx.call("s3", T0 - 3 * MIN_MS, 0.1)
    tx.ingest(store)
    channels = [
        {"kind": "webhook", "url": receiver.url + "/in", "id": "good"},
        {"kind": "slack", "url": "http://127.0.0.1:9/dead", "id": "dead"},
    ]
    add_rule(
        store, {"id": "big", "name": "big", "measure": "session_cost", "threshold": 1, "channels": channels}
    )
    add_rule(
        store, {"id": "huge", "name": "huge", "measure": "cost", "threshold": 100, "severity": "critical"}
    )
    add_rule(store, {"id": "off", "name": "off", "measure": "cost", "threshold": 0, "enabled": False})
    clock = Clock(T0)
    assert len(Evaluator(store, clock=clock).run().fired) == 2
    with Deliverer(store, policy=RetryPolicy(attempts=1), timeout_s=2) as deliverer:
        deliverer.drain()


def families(text: str) -> dict[str, dict[tuple[str, ...], float]]:
    out: dict[str, dict[tuple[str, ...], float]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.name.startswith(("clawscope_alert", "clawscope_alerts")) and not s.name.endswith("_created"):
                out.setdefault(s.name, {})[tuple(v for _, v in sorted(s.labels.items()))] = s.value
    return out


def test_metrics_expose_firing_rules_and_notifications(
    store: Store, client: TestClient, make_key, tmp_path: Path
) -> None:
    with HttpReceiver() as receiver:
        alerting(store, tmp_path, receiver)
    got = families(client.get("/metrics", headers=auth(make_key("metrics:read"))).text)
    # (rule, severity): every enabled rule, 0 when it does not fire; the disabled one is absent
    assert got[exports_alerts.FIRING] == {("big", "warning"): 2.0, ("huge", "critical"): 0.0}
    notified = got[NOTIFY]
    assert notified[("webhook", "sent")] == 2.0  # (channel, outcome)
    assert notified[("slack", "failed")] == 2.0
    assert sum(notified.values()) == 4.0 and len(notified) == 14  # every kind x outcome from the start
    made = got[f"{exports_alerts.ALERTS}_total"]
    assert made[("firing", "warning")] == 2.0 and sum(made.values()) == 2.0
    assert sum(got[exports_alerts.PENDING].values()) == 0.0
    # resolving: the firing gauge goes down, the counters stay
    Evaluator(store, clock=Clock(T0 + 48 * 60 * MIN_MS)).run()
    after = families(client.get("/metrics", headers=auth(make_key("metrics:read"))).text)
    assert after[exports_alerts.FIRING][("big", "warning")] == 0.0
    assert after[NOTIFY][("webhook", "sent")] == 2.0
    assert after[exports_alerts.PENDING][("webhook",)] == 2.0  # the resolve notices wait for delivery


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[tuple[Store, Prometheus]]:
    require_prometheus()
    db_url = f"sqlite:///{tmp_path / 'clawscope.db'}"
    settings = Settings(db=db_url, home=tmp_path / "home", instance="test-host")
    with HttpReceiver() as receiver, Store(db_url) as store:
        alerting(store, tmp_path, receiver)
        key, _ = store.keys.create("prometheus", ("metrics:read",))
        app = create_app(settings, store=store)  # no alert service: the store's alerts as they are
        (tmp_path / "prom").mkdir()
        with LiveServer(app) as server, Prometheus(tmp_path / "prom", server.url.split("//")[1], key) as prom:
            prom.wait(lambda: prom.scrapes() >= 3, "Prometheus did not scrape clawscope 3 times")
            yield store, prom


def test_prometheus_scrapes_the_alert_series_of_the_store(scraped: tuple[Store, Prometheus]) -> None:
    store, prom = scraped
    firing = prom.values(f"max without (instance, job) ({exports_alerts.FIRING})", ("rule", "severity"))
    want = {(s.rule_id, "warning") for s in store.alert_outbox.states(firing_only=True)}
    assert want == {("big", "warning")}
    assert firing == {("big", "warning"): 2.0, ("huge", "critical"): 0.0}
    notified = prom.values(f"sum by (channel, outcome) ({NOTIFY})", ("channel", "outcome"))
    assert {k: v for k, v in notified.items() if v} == {("webhook", "sent"): 2.0, ("slack", "failed"): 2.0}
    board = next(d for d in dashboards() if d.uid == "clawscope-alerts")
    for panel in grafana.dashboard_json(board)["panels"]:
        for target in panel["targets"]:
            assert has_data(prom.query(target["expr"])), (panel["title"], target["expr"])
    (critical,) = prom.query(board.panels[1].queries[0].expr)
    assert float(critical["value"][1]) == 0.0
    (now,) = prom.query(board.panels[0].queries[0].expr)
    assert float(now["value"][1]) == 2.0


def test_the_alerts_dashboard_is_provisioned_with_its_queries() -> None:
    board = next(d for d in dashboards() if d.uid == "clawscope-alerts")
    exprs = [t["expr"] for p in grafana.dashboard_json(board)["panels"] for t in p["targets"]]
    assert len(exprs) == len(board.panels) >= 8
    assert all("clawscope_alert" in e for e in exprs)


def test_mcp_list_alerts_gives_the_rest_answers_and_needs_alerts_read(
    store: Store, client: TestClient, make_key, tmp_path: Path
) -> None:
    with HttpReceiver() as receiver:
        alerting(store, tmp_path, receiver)
    key = make_key("alerts:read")
    rest = lambda path, **p: client.get(path, params=p, headers=auth(key)).json()  # noqa: E731
    with McpHttp(store) as m:
        names, got = call(
            m.url,
            key,
            [
                ("list_alerts", {}),
                ("list_alerts", {"what": "firing"}),
                ("list_alerts", {"what": "history", "rule_id": "big", "limit": 1}),
                ("list_alerts", {"what": "history", "rule_id": "huge"}),
            ],
        )
        _, denied = call(m.url, make_key("stats:read"), [("list_alerts", {})])
    assert "list_alerts" in names
    history = rest("/api/v1/alerts/history")
    assert len(history["data"]) == 2 and all(len(h["deliveries"]) == 2 for h in history["data"])
    same(got[0], history)
    same(got[1], rest("/api/v1/alerts/firing"))
    same(got[2], rest("/api/v1/alerts/history", rule_id="big", limit=1))
    assert got[3] == {"data": []}
    assert "lacks the scope 'alerts:read'" in denied[0]

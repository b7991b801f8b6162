"""`GET /metrics`: who may scrape (a `metrics:read` key, an allowlisted address, anyone on loopback with
auth off; never the login cookie), the formats (Prometheus text, OpenMetrics on request), values equal
to the stats API, request counters shared by every process through the store."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web import create_app
from tests.support.server import LiveServer, auth

SAMPLES = ("openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite")


@pytest.fixture
def samples(store: Store, fixture_copy) -> Store:
    ingest(store, [fixture_copy(s) for s in SAMPLES], instance="test", estimate=False)
    return store


def series(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(found: dict, name: str, **match: str) -> float:
    return sum(v for (n, labels), v in found.items() if n == name and match.items() <= dict(labels).items())


def test_a_metrics_key_scrapes_others_do_not(client: TestClient, make_key) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth("cs_nope_nope")).status_code == 401
    r = client.get("/metrics", headers=auth(make_key("stats:read")))
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    for scopes in (("metrics:read",), ("admin",)):
        r = client.get("/metrics", headers=auth(make_key(*scopes)))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "clawscope_build_info" in r.text and "process_cpu_seconds_total" in r.text
    assert "x-ratelimit-limit" in {k.lower() for k in r.headers}


def test_the_login_cookie_does_not_scrape(client: TestClient, make_key) -> None:
    key = make_key("admin")
    client.cookies.set("clawscope_session", key)
    assert client.get("/api/v1/stats").status_code == 200  # the cookie works for the dashboard's API
    assert client.get("/metrics").status_code == 401  # not for a scraper


def test_openmetrics_on_request(client: TestClient, make_key) -> None:
    r = client.get(
        "/metrics",
        headers={**auth(make_key("metrics:read")), "Accept": "application/openmetrics-text; version=1.0.0"},
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.endswith("# EOF\n")


def test_auth_off_serves_loopback_without_a_key(no_auth_settings: Settings, store: Store) -> None:
    with TestClient(create_app(no_auth_settings, store=store), base_url="http://127.0.0.1") as c:
        assert c.get("/metrics").status_code == 200


def test_an_allowlisted_address_needs_no_key(settings: Settings, store: Store) -> None:
    allowed = create_app(replace(settings, metrics_allow=("127.0.0.0/8",)), store=store)
    with LiveServer(allowed) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 200
    other = create_app(replace(settings, metrics_allow=("10.1.2.0/24",)), store=store)
    with LiveServer(other) as server:
        assert httpx.get(f"{server.url}/metrics").status_code == 401


def test_values_equal_the_stats_api(samples: Store, client: TestClient, make_key) -> None:
    key = make_key("metrics:read", "stats:read")
    found = series(client.get("/metrics", headers=auth(key)).text)
    for route, label in (("models", "model"), ("triggers", "trigger")):
        groups = client.get(f"/api/v1/stats/{route}", headers=auth(key)).json()["groups"]
        assert groups
        for g in groups:
            m = {label: g["key"]}
            assert total(found, "clawscope_model_calls_total", **m) == g["llmCalls"]
            assert total(found, "clawscope_model_calls_total", outcome="error", **m) == g["errors"]
            assert total(found, "clawscope_cost_usd_total", **m) == pytest.approx(g["costUSD"], abs=1e-9)
            assert total(found, "clawscope_tokens_total", type="input", **m) == g["tokensIn"]
            assert total(found, "clawscope_tokens_total", type="output", **m) == g["tokensOut"]
            assert total(found, "clawscope_tokens_total", type="cache_read", **m) == g["cacheRead"]
    tools = client.get("/api/v1/stats/tools", headers=auth(key)).json()["tools"]
    for t in tools:
        assert total(found, "clawscope_tool_calls_total", tool=t["key"]) == t["toolCalls"]
        assert total(found, "clawscope_tool_calls_total", tool=t["key"], outcome="error") == t["toolErrors"]
    assert (
        total(found, "clawscope_sessions_total")
        == client.get("/api/v1/stats", headers=auth(key)).json()["totals"]["sessions"]
    )
    assert total(found, "clawscope_ingest_last_run_success") == 1


def test_request_counts_are_the_same_in_every_process(settings: Settings, store: Store, make_key) -> None:
    key = make_key("metrics:read")
    with TestClient(create_app(settings, store=store)) as first:
        for _ in range(3):  # no signature: refused
            assert first.post("/api/v1/openclaw/events", json={"event": "x"}).status_code == 401
        assert (
            first.post(
                "/v1/traces",
                content=b"\x00bad",
                headers={**auth(make_key("ingest:write")), "Content-Type": "application/x-protobuf"},
            ).status_code
            == 400
        )
        found = series(first.get("/metrics", headers=auth(key)).text)
    with Store(settings.db_url) as other_store, TestClient(create_app(settings, store=other_store)) as second:
        again = series(second.get("/metrics", headers=auth(key)).text)  # another process, after a restart
    for got in (found, again):
        assert total(got, "clawscope_received_requests_total", endpoint="events", outcome="unauthorized") == 3
        assert total(got, "clawscope_received_requests_total", endpoint="otlp_traces", outcome="invalid") == 1

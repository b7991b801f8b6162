"""Contract tests of `/api/v1/stats*` over the real OpenClaw samples, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from clawscope.cli import cli
from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.server import auth

JSONL = "openclaw-2026.3.24-jsonl"
SQLITE = "openclaw-2026.9.6-sqlite"
ROUTES = [
    "/api/v1/stats",
    "/api/v1/stats/models",
    "/api/v1/stats/providers",
    "/api/v1/stats/agents",
    "/api/v1/stats/kinds",
    "/api/v1/stats/triggers",
    "/api/v1/stats/channels",
    "/api/v1/stats/hours",
    "/api/v1/stats/days",
    "/api/v1/stats/months",
    "/api/v1/stats/tools",
    "/api/v1/stats/sessions",
    "/api/v1/stats/compare",
    "/api/v1/stats/forecast",
    "/api/v1/stats/reconciliation",
]


@pytest.fixture
def samples(store: Store, fixture_copy) -> Store:
    ingest(store, [fixture_copy(JSONL), fixture_copy(SQLITE)], instance="test", estimate=False)
    return store


def cli_stats(db_url: str, *args: str) -> dict:
    result = CliRunner().invoke(cli, ["stats", "--db", db_url, "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_stats_totals_equal_the_cli(samples: Store, client: TestClient, make_key, db_url: str) -> None:
    r = client.get("/api/v1/stats", headers=auth(make_key("stats:read")))
    assert r.status_code == 200
    body = r.json()
    expected = cli_stats(db_url)["totals"]
    for key in (
        "sessions",
        "messages",
        "llmCalls",
        "toolCalls",
        "tokensIn",
        "tokensOut",
        "cacheRead",
        "cacheWrite",
        "costUSD",
        "estimatedCostUSD",
        "avgLatencyMs",
        "errors",
    ):
        assert body["totals"][key] == expected[key], key
    assert body["totals"]["llmCalls"] == 13 + 8  # the two samples' exact counts
    assert body["totals"]["costUSD"] == pytest.approx(0.1757445 + 0.289011, abs=1e-9)
    assert body["period"] == {"from": None, "to": None}
    assert sum(d["llmCalls"] for d in body["byDay"]) == 21
    assert [d["key"] for d in body["byDay"]] == sorted(d["key"] for d in body["byDay"])


def test_a_period_not_on_whole_hours_reads_the_raw_rows_and_agrees(
    samples: Store, client: TestClient, make_key, db_url: str
) -> None:
    key = make_key("stats:read")
    days = client.get("/api/v1/stats", headers=auth(key)).json()["byDay"]
    first = days[0]["key"]
    aligned = client.get(f"/api/v1/stats?from={first}&to=2100-01-01", headers=auth(key)).json()["totals"]
    odd = client.get(f"/api/v1/stats?from={first}T00:00:00.001Z&to=2100-01-01", headers=auth(key)).json()
    assert aligned["llmCalls"] == 21
    assert odd["totals"]["tokensIn"] <= aligned["tokensIn"]
    assert aligned == cli_stats(db_url, "--since", first)["totals"]


@pytest.mark.parametrize("route", ROUTES)
def test_every_stats_route_answers_and_checks_its_scope(
    route: str, samples: Store, client: TestClient, make_key
) -> None:
    assert client.get(route, headers=auth(make_key("stats:read"))).status_code == 200
    denied = client.get(route, headers=auth(make_key("sessions:read")))
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "insufficient_scope"
    assert client.get(route).status_code == 401


def test_groups_per_model_sum_to_the_totals(samples: Store, client: TestClient, make_key) -> None:
    key = make_key("stats:read")
    groups = client.get("/api/v1/stats/models", headers=auth(key)).json()["groups"]
    total = client.get("/api/v1/stats", headers=auth(key)).json()["totals"]
    assert sum(g["llmCalls"] for g in groups) == total["llmCalls"]
    assert sum(g["costUSD"] for g in groups) == pytest.approx(total["costUSD"], abs=1e-9)
    costs = [g["costUSD"] for g in groups]
    assert costs == sorted(costs, reverse=True)


def test_tools_route_counts_real_tool_names(samples: Store, client: TestClient, make_key) -> None:
    body = client.get("/api/v1/stats/tools", headers=auth(make_key("stats:read"))).json()
    by_name = {t["key"]: t["toolCalls"] for t in body["tools"]}
    assert by_name == {"exec": 3, "sessions_spawn": 2}
    assert all(t["errorRate"] == 0 for t in body["tools"])


def test_sessions_report_lists_the_costliest_first(samples: Store, client: TestClient, make_key) -> None:
    body = client.get("/api/v1/stats/sessions?top=2", headers=auth(make_key("stats:read"))).json()
    assert body["costStats"]["count"] == 7
    assert len(body["top"]) == 2
    top = [s["costUSD"] + s["estimatedCostUSD"] for s in body["top"]]
    assert top[0] >= top[1] and top[0] == pytest.approx(body["costStats"]["max"])


def test_compare_and_forecast(samples: Store, client: TestClient, make_key) -> None:
    key = make_key("stats:read")
    first = client.get("/api/v1/stats", headers=auth(key)).json()["byDay"][0]["key"]
    body = client.get(f"/api/v1/stats/compare?from={first}&to=2100-01-01", headers=auth(key)).json()
    d = body["deltas"]["llmCalls"]
    assert (d["current"], d["previous"], d["delta"], d["deltaPct"]) == (21, 0, 21, None)
    fc = client.get(f"/api/v1/stats/forecast?at={first}T12:00Z", headers=auth(key)).json()
    assert fc["method"].startswith("linear run rate")
    assert fc["asOf"] == f"{first}T12:00:00.000Z"
    assert fc["projectedUSD"] >= fc["monthToDateUSD"] >= 0


def test_reconciliation_keeps_reported_cost_apart(samples: Store, client: TestClient, make_key) -> None:
    body = client.get("/api/v1/stats/reconciliation", headers=auth(make_key("stats:read"))).json()
    assert sum(m["reportedUSD"] for m in body["models"]) == pytest.approx(0.1757445 + 0.289011, abs=1e-9)
    assert "re-priced" in body["method"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-02-01&to=2026-01-01", "from"),
        ("from=99999999d", "from"),
    ],
)
def test_bad_periods_are_422_envelopes(query: str, param: str, client: TestClient, make_key) -> None:
    r = client.get(f"/api/v1/stats?{query}", headers=auth(make_key("stats:read")))
    assert r.status_code == 422
    assert r.json()["error"]["param"] == param
    assert r.json()["error"]["type"] == "validation_error"


def test_bad_top_is_422(client: TestClient, make_key) -> None:
    r = client.get("/api/v1/stats/tools?top=0", headers=auth(make_key("stats:read")))
    assert r.status_code == 422 and r.json()["error"]["param"] == "top"


def test_the_spec_declares_the_error_envelope(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    responses = spec["paths"]["/api/v1/stats"]["get"]["responses"]
    assert set(responses) >= {"200", "401", "403", "422", "429"}
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorEnvelope")

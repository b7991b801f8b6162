"""The real Prometheus scrapes a running `clawscope serve` over a demo state: its query API gives the
numbers of `clawscope stats --json` by model and by trigger; `promtool check metrics` and `promtool check
rules` pass on what clawscope writes; every PromQL expression of the provisioned dashboards and rules
returns data (no dead panels); the open findings it scrapes are the store's."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from clawscope.cli import cli
from clawscope.demo import generate
from clawscope.detect.service import detect
from clawscope.exports import grafana, rules
from clawscope.exports.dashboards import dashboards
from clawscope.ingest import ingest
from clawscope.store import FindingQuery, Store
from tests.detect.doubles import FailedToolDetector
from tests.support.prometheus import PROMTOOL, Prometheus, has_data, require_prometheus
from tests.support.serve import Serve
from tests.support.server import auth

# How Grafana fills the dashboards' variables, for running their queries here.
VARIABLES = {"$openclaw_instance": ".*", "$agent": ".*", "$__rate_interval": "1m", "${datasource}": ""}


class Scraped:
    def __init__(self, db_url: str, prom: Prometheus, serve: Serve, key: str) -> None:
        self.db_url, self.prom, self.serve, self.key = db_url, prom, serve, key


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    require_prometheus()
    tmp = tmp_path_factory.mktemp("prom")
    state = tmp / "demo-state"
    generate(state, sessions=40, agents=3, era="jsonl", seed=5)
    db_url = f"sqlite:///{tmp / 'clawscope.db'}"
    with Store(db_url) as store:
        ingest(store, [state], instance="demo-host", estimate=True)
        detect(store, {}, detectors={FailedToolDetector.id: FailedToolDetector()}, publish=False)
        key, _ = store.keys.create("prometheus", ("metrics:read",))
    (tmp / "prom").mkdir()
    with Serve(tmp / "home", db_url) as serve, Prometheus(tmp / "prom", serve.target, key) as prom:
        prom.wait(lambda: prom.scrapes() >= 4, "Prometheus did not scrape clawscope 4 times")
        yield Scraped(db_url, prom, serve, key)


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)
    return data


@pytest.mark.parametrize("dim", ["model", "trigger"])
def test_prometheus_series_equal_the_stats(scraped: Scraped, dim: str) -> None:
    stats = cli_json("stats", "--db", scraped.db_url, "--json", "--by", dim)
    groups = [g for g in stats["groups"] if g["llmCalls"]]
    assert len(groups) >= 2
    by = ("provider", "model") if dim == "model" else ("trigger",)
    prom = scraped.prom

    def key(g: dict) -> tuple[str, ...]:
        return (g["provider"] or "unknown", g["key"]) if dim == "model" else (g["key"],)

    measures = {
        "llmCalls": f"sum by ({', '.join(by)}) (clawscope_model_calls_total)",
        "errors": f'sum by ({", ".join(by)}) (clawscope_model_calls_total{{outcome="error"}})',
        "costUSD": f"sum by ({', '.join(by)}) (clawscope_cost_usd_total)",
        "estimatedCostUSD": f"sum by ({', '.join(by)}) (clawscope_estimated_cost_usd_total)",
        "tokensIn": f'sum by ({", ".join(by)}) (clawscope_tokens_total{{type="input"}})',
        "tokensOut": f'sum by ({", ".join(by)}) (clawscope_tokens_total{{type="output"}})',
        "cacheRead": f'sum by ({", ".join(by)}) (clawscope_tokens_total{{type="cache_read"}})',
        "cacheWrite": f'sum by ({", ".join(by)}) (clawscope_tokens_total{{type="cache_write"}})',
    }
    for field, expr in measures.items():
        got = prom.values(expr, by)
        want = {key(g): g[field] for g in groups}
        assert set(got) == set(want), (field, got, want)
        for k, v in want.items():
            assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-9), (field, k)
    totals = stats["totals"]
    assert prom.values("sum(clawscope_model_calls_total)", ())[()] == totals["llmCalls"]
    assert prom.values("sum(clawscope_cost_usd_total)", ())[()] == pytest.approx(totals["costUSD"], rel=1e-12)


def test_promtool_checks_the_metrics(scraped: Scraped) -> None:
    for accept in ("", "application/openmetrics-text; version=1.0.0"):
        headers = {**auth(scraped.key), **({"Accept": accept} if accept else {})}
        body = httpx.get(f"{scraped.serve.url}/metrics", headers=headers, timeout=30).content
        assert b"clawscope_model_calls_total" in body
        if accept:  # promtool lints the text format; OpenMetrics is checked for its terminator
            assert body.endswith(b"# EOF\n")
            continue
        check = [PROMTOOL, "check", "metrics"]
        done = subprocess.run(check, check=False, input=body, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_checks_the_rules(scraped: Scraped, tmp_path: Path) -> None:
    printed = tmp_path / "printed.yaml"
    result = CliRunner().invoke(cli, ["grafana", "rules", "--out", str(printed)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    written = grafana.export(tmp_path / "grafana", scraped.prom.url, scraped.serve.target)
    for path in (printed, next(p for p in written if p.name == "clawscope-rules.yaml")):
        done = subprocess.run(
            [PROMTOOL, "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"SUCCESS: {len(rules.RECORDING) + len(rules.ALERTS)} rules found" in done.stdout


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every dashboard query, recording rule and alert measure."""
    out = []
    for d in dashboards():
        for panel in grafana.dashboard_json(d)["panels"]:
            for target in panel["targets"]:
                out.append((f"{d.uid}: {panel['title']}", target["expr"]))
    out += [(f"record {name}", expr) for name, expr in rules.RECORDING]
    out += [(f"alert {a.name}", a.measure) for a in rules.ALERTS]
    return out


def test_every_dashboard_and_rule_expression_returns_data(scraped: Scraped) -> None:
    exprs = expressions()
    assert len(exprs) >= 40
    dead = []
    for where, written in exprs:
        expr = written
        for name, value in VARIABLES.items():
            expr = expr.replace(name, value)
        if not has_data(scraped.prom.query(expr)):
            dead.append((where, expr))
    assert dead == []


def test_prometheus_open_findings_equal_the_store(scraped: Scraped) -> None:
    with Store(scraped.db_url) as store:
        want = {
            (r["family"], r["severity"]): float(r["n"])
            for r in store.findings.counts(FindingQuery(status="open"))
        }
    got = scraped.prom.values("sum by (family, severity) (clawscope_findings_open)", ("family", "severity"))
    assert want and len(got) == 33 and {k: v for k, v in got.items() if v} == want


def test_an_alert_fires_when_its_threshold_is_crossed(scraped: Scraped) -> None:
    """The thresholds compare what the measures give: with 0 the error-rate alert holds on demo data."""
    alert = next(a for a in rules.ALERTS if a.name == "ClawscopeMetricsMissing")
    assert scraped.prom.query(alert.expr) == []  # a server is scraped: does not fire
    low = rules.Alert("t", rules.ALERTS[0].measure, ">=", 0, "0m", "info", "")
    assert has_data(scraped.prom.query(low.expr))


def _scrape(url: str, key: str) -> tuple[str, list[str]]:
    """(the answering process's start time, its clawscope_ lines)."""
    body = httpx.get(f"{url}/metrics", headers=auth(key), timeout=30).text
    lines = body.splitlines()
    started = next(line for line in lines if line.startswith("process_start_time_seconds"))
    return started, [line for line in lines if line.startswith("clawscope_")]


def test_every_server_process_and_a_restart_give_the_same_numbers(tmp_path: Path) -> None:
    """Two `serve` processes on one database (replicas) scrape the same numbers, also right after requests
    counted by one of them, and a restarted server gives them again."""
    db_url = f"sqlite:///{tmp_path / 'clawscope.db'}"
    generate(tmp_path / "demo", sessions=8, agents=2, era="jsonl", seed=9)
    with Store(db_url) as store:
        ingest(store, [tmp_path / "demo"], instance="demo-host", estimate=True)
        key, _ = store.keys.create("prometheus", ("metrics:read",), 100_000)
    with Serve(tmp_path / "a", db_url) as a, Serve(tmp_path / "b", db_url) as b:
        for _ in range(3):  # counted by process a
            assert httpx.post(f"{a.url}/api/v1/openclaw/events", json={}).status_code == 401
        _, from_a = _scrape(a.url, key)  # a adds its counts to the store before it answers
        _, from_b = _scrape(b.url, key)
    with Serve(tmp_path / "c", db_url) as restarted:
        _, after = _scrape(restarted.url, key)
    assert len(from_a) > 50
    assert 'clawscope_received_requests_total{endpoint="events",outcome="unauthorized"} 3.0' in from_b
    assert from_a == from_b == after

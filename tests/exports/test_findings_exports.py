"""The detectors' findings in the exports: `clawscope_findings_open` on `GET /metrics` (every family and
severity, the store's open counts), the MCP tool `list_findings` (what `GET /api/v1/findings` gives, with
its scope), and the Findings dashboard among the provisioned ones. The real-Prometheus tier is
tests/exports/test_prometheus.py (every dashboard expression, this one's included, returns data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from clawscope.demo import generate
from clawscope.detect.service import detect
from clawscope.exports import findings as exports_findings
from clawscope.exports import grafana
from clawscope.exports.dashboards import dashboards
from clawscope.ingest import ingest
from clawscope.model.detection import FAMILIES
from clawscope.store import FindingQuery, Store
from tests.detect.doubles import FailedToolDetector
from tests.exports.test_mcp import McpHttp, call, same
from tests.support.server import auth

DET = {FailedToolDetector.id: FailedToolDetector()}


@pytest.fixture
def detected(store: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", sessions=30, agents=2, era="jsonl", seed=8)
    ingest(store, [tmp_path / "demo"], instance="test", estimate=True)
    report = detect(store, {}, detectors=DET, publish=False)
    assert len(report.new) >= 3  # the demo has failing tools
    return store


def open_gauge(text: str) -> dict[tuple[str, str], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        if fam.name == exports_findings.OPEN_FINDINGS:
            for s in fam.samples:
                out[s.labels["family"], s.labels["severity"]] = s.value
    return out


def test_metrics_expose_open_findings_by_family_and_severity(
    detected: Store, client: TestClient, make_key
) -> None:
    body = client.get("/metrics", headers=auth(make_key("metrics:read"))).text
    got = open_gauge(body)
    assert set(got) == {(f, s) for f in FAMILIES for s in ("info", "warning", "critical")}
    want = {
        (r["family"], r["severity"]): r["n"] for r in detected.findings.counts(FindingQuery(status="open"))
    }
    assert want and {k: v for k, v in got.items() if v} == want
    # resolving them (the detector now ignores exec, etc.) brings the gauge down
    ignored = sorted({f.evidence["tool"] for f in detected.findings.page(FindingQuery(), 500)})
    detect(detected, {FailedToolDetector.id: {"ignore": ignored}}, detectors=DET, publish=False)
    after = open_gauge(client.get("/metrics", headers=auth(make_key("metrics:read"))).text)
    assert sum(after.values()) == 0 and len(after) == len(got)


def test_mcp_list_findings_gives_the_rest_pages_and_needs_sessions_read(
    detected: Store, client: TestClient, make_key
) -> None:
    key = make_key("sessions:read")
    want_all = client.get("/api/v1/findings", params={"limit": 500}, headers=auth(key)).json()
    want_page = client.get("/api/v1/findings", params={"limit": 2}, headers=auth(key)).json()
    assert len(want_all["findings"]) >= 3 and want_page["nextCursor"]
    with McpHttp(detected) as m:
        names, got = call(
            m.url,
            key,
            [
                ("list_findings", {"limit": 500}),
                ("list_findings", {"limit": 2}),
                ("list_findings", {"limit": 2, "cursor": want_page["nextCursor"]}),
                ("list_findings", {"family": "loop"}),
                ("list_findings", {"cursor": "forged"}),
            ],
        )
        _, denied = call(m.url, make_key("stats:read"), [("list_findings", {})])
    assert "list_findings" in names
    same(got[0], want_all)
    same(got[1], want_page)
    next_page = client.get(
        "/api/v1/findings", params={"limit": 2, "cursor": want_page["nextCursor"]}, headers=auth(key)
    ).json()
    same(got[2], next_page)
    assert got[3] == {"findings": [], "nextCursor": None}
    assert isinstance(got[4], str) and "invalid cursor" in got[4]
    assert "lacks the scope 'sessions:read'" in denied[0]


def test_the_findings_dashboard_is_provisioned_with_its_queries() -> None:
    board = next(d for d in dashboards() if d.uid == "clawscope-findings")
    exprs = [t["expr"] for p in grafana.dashboard_json(board)["panels"] for t in p["targets"]]
    assert len(exprs) == len(board.panels) >= 6
    assert all(exports_findings.OPEN_FINDINGS in e for e in exprs)

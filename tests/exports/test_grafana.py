"""Grafana provisioning: the dashboards are what grafana-foundation-sdk encodes and decode back through its
models unchanged; `clawscope grafana export` writes the datasource, the dashboard provider and the
dashboards where the provider points; a dashboard without panels (findings, alerts, until their families
exist) is not provisioned."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

from clawscope.cli import cli
from clawscope.exports import dashboards as boards
from clawscope.exports import grafana


def test_dashboards_round_trip_through_the_sdk_models() -> None:
    found = boards.dashboards()
    assert [d.uid for d in found] == [
        "clawscope-overview",
        "clawscope-cost",
        "clawscope-tools",
        "clawscope-ingest",
        "clawscope-alerts",
        "clawscope-findings",
    ]
    for d in found:
        data = grafana.dashboard_json(d)
        model = DashboardModel.from_json(data)
        assert json.loads(json.dumps(model.to_json(), default=lambda o: o.to_json())) == data
        assert model.uid == d.uid and model.title == d.title
        assert len(data["panels"]) == len(d.panels)
        for panel, spec in zip(data["panels"], d.panels, strict=True):
            assert panel["title"] == spec.title and panel["type"] == spec.kind
            assert [t["expr"] for t in panel["targets"]] == [q.expr for q in spec.queries]
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["gridPos"]["w"] == spec.width


def test_grafana_export_writes_provisioning_files(tmp_path: Path) -> None:
    out = tmp_path / "grafana"
    result = CliRunner().invoke(
        cli,
        ["grafana", "export", str(out), "--prometheus-url", "http://prom:9090", "--target", "cs:8765"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    source = yaml.safe_load((out / "provisioning/datasources/clawscope.yaml").read_text())
    assert source["datasources"][0]["url"] == "http://prom:9090"
    assert source["datasources"][0]["type"] == "prometheus"
    provider = yaml.safe_load((out / "provisioning/dashboards/clawscope.yaml").read_text())
    folder = Path(provider["providers"][0]["options"]["path"])
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(
        f"{d.uid}.json" for d in boards.dashboards()
    )
    for path in folder.glob("*.json"):
        assert DashboardModel.from_json(json.loads(path.read_text())).uid == path.stem
    scrape = yaml.safe_load((out / "prometheus/scrape.yaml").read_text())
    assert scrape["scrape_configs"][0]["static_configs"][0]["targets"] == ["cs:8765"]
    assert len(result.output.splitlines()) == len(boards.dashboards()) + 4


def test_a_dashboard_without_panels_is_not_provisioned(monkeypatch) -> None:
    empty = boards.Dashboard("clawscope-alerts", "clawscope / Alerts", "later")
    monkeypatch.setattr(boards, "EXTRA_DASHBOARDS", [empty])
    assert "clawscope-alerts" not in [d.uid for d in boards.dashboards()]
    full = boards.Dashboard(
        "clawscope-alerts", "x", "y", (boards.Panel("n", "stat", (boards.q("vector(1)"),)),)
    )
    monkeypatch.setattr(boards, "EXTRA_DASHBOARDS", [full])
    assert boards.dashboards()[-1].uid == "clawscope-alerts"


def test_grafana_export_into_an_unwritable_place_is_a_clean_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["grafana", "export", str(blocker / "sub")])
    assert result.exit_code != 0
    assert "cannot write" in result.output and "Traceback" not in result.output

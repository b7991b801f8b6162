"""Grafana provisioning built in code with grafana-foundation-sdk: a Prometheus datasource and the
dashboards of `dashboards.py`, written as files Grafana loads as they are.

    DIR/provisioning/datasources/clawscope.yaml   the Prometheus datasource (uid `clawscope-prometheus`)
    DIR/provisioning/dashboards/clawscope.yaml    a file provider of DIR/dashboards (folder "clawscope")
    DIR/dashboards/<uid>.json                     one file per dashboard
    DIR/prometheus/clawscope-rules.yaml           recording and alerting rules (`rules.py`)
    DIR/prometheus/scrape.yaml                    the scrape job to add to prometheus.yml

Point Grafana's `paths.provisioning` at DIR/provisioning (or copy the two files into yours). The
dashboards are SDK builders; their JSON is what the SDK encodes, and a test decodes it back through
the SDK's models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as gd
from grafana_foundation_sdk.builders import prometheus as gp
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

from clawscope.exports import rules
from clawscope.exports.dashboards import Dashboard, Panel, dashboards

DATASOURCE_UID = "clawscope-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
PANELS: dict[str, Any] = {
    "stat": stat.Panel,
    "timeseries": timeseries.Panel,
    "bargauge": bargauge.Panel,
    "table": table.Panel,
}


def _variable(name: str, label: str, query: str) -> gd.QueryVariable:
    return (
        gd.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
    )


def _panel(p: Panel) -> Any:
    builder = PANELS[p.kind]().title(p.title).datasource(DATASOURCE).span(p.width).height(p.height)
    if p.description:
        builder = builder.description(p.description)
    if p.unit:
        builder = builder.unit(p.unit)
    for i, query in enumerate(p.queries):
        target = gp.Dataquery().expr(query.expr).ref_id(chr(ord("A") + i)).datasource(DATASOURCE)
        if query.legend:
            target = target.legend_format(query.legend)
        if p.kind in ("stat", "bargauge", "table"):
            target = target.instant()
        builder = builder.with_target(target)
    return builder


def build(d: Dashboard) -> gd.Dashboard:
    """One dashboard as the SDK's builder."""
    builder = (
        gd.Dashboard(d.title)
        .uid(d.uid)
        .description(d.description)
        .tags(["clawscope", "openclaw"])
        .refresh("1m")
        .time("now-24h", "now")
        .with_variable(gd.DatasourceVariable("datasource").label("Prometheus").type("prometheus").regex(""))
        .with_variable(
            _variable(
                "openclaw_instance",
                "OpenClaw instance",
                "label_values(clawscope_model_calls_total, openclaw_instance)",
            )
        )
        .with_variable(
            _variable(
                "agent",
                "Agent",
                'label_values(clawscope_model_calls_total{openclaw_instance=~"$openclaw_instance"}, agent)',
            )
        )
    )
    for p in d.panels:
        builder = builder.with_panel(_panel(p))
    return builder


def dashboard_json(d: Dashboard) -> dict[str, Any]:
    """A dashboard as Grafana's JSON (encoded by the SDK)."""
    data: dict[str, Any] = json.loads(json.dumps(build(d).build(), cls=JSONEncoder))
    return data


def datasource_file(prometheus_url: str) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "clawscope Prometheus",
                "type": "prometheus",
                "uid": DATASOURCE_UID,
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": False,
                "editable": False,
                "jsonData": {"timeInterval": "15s"},
            }
        ],
    }


def dashboards_provider(path: Path) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "clawscope",
                "folder": "clawscope",
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "options": {"path": str(path)},
            }
        ],
    }


def scrape_job(target: str, metrics_path: str = "/metrics") -> dict[str, Any]:
    """The scrape job for prometheus.yml (give the key with `authorization: {credentials_file: …}`)."""
    return {
        "scrape_configs": [
            {
                "job_name": "clawscope",
                "metrics_path": metrics_path,
                "scrape_interval": "30s",
                "static_configs": [{"targets": [target]}],
                "authorization": {"type": "Bearer", "credentials_file": "/etc/prometheus/clawscope.key"},
            }
        ]
    }


def export(out: Path, prometheus_url: str, target: str, dashboards_path: Path | None = None) -> list[Path]:
    """Write every provisioning file under `out`; return their paths."""
    board_dir = out / "dashboards"
    written = []
    for d in dashboards():
        written.append(_write_json(board_dir / f"{d.uid}.json", dashboard_json(d)))
    written.append(
        _write_yaml(out / "provisioning" / "datasources" / "clawscope.yaml", datasource_file(prometheus_url))
    )
    written.append(
        _write_yaml(
            out / "provisioning" / "dashboards" / "clawscope.yaml",
            dashboards_provider(dashboards_path or board_dir.resolve()),
        )
    )
    written.append(_write_yaml(out / "prometheus" / "clawscope-rules.yaml", rules.rules_file()))
    written.append(_write_yaml(out / "prometheus" / "scrape.yaml", scrape_job(target)))
    return written


def _write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def _write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(data))
    return path


def to_yaml(data: Any) -> str:
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000))

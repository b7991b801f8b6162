"""The detectors' findings in the monitoring exports: the `clawscope_findings_open` metric family (open
findings by family and severity, registered in `metrics.SOURCES`, so on `GET /metrics` and in OTLP
metrics) and the "Findings" Grafana dashboard (in `dashboards.EXTRA_DASHBOARDS`).

Imported by `clawscope.exports` (its package init), so both are there whenever an export runs. Every
family x severity pair is exposed, 0 when none is open: 33 series at most (no free-text label), and
panels and alert expressions have their series from the start. A gauge, not a counter: findings are
resolved, re-opened and deleted with their session, so their count goes down as well as up. The MCP tool
`list_findings` is `findings_mcp` (it needs the MCP SDK, which a scrape does not load).
"""

from __future__ import annotations

from collections.abc import Iterable

from clawscope.exports.dashboards import EXTRA_DASHBOARDS, Dashboard, Panel, q
from clawscope.exports.metrics import register
from clawscope.exports.promql import or_zero, sel
from clawscope.model.detection import FAMILIES
from clawscope.model.metrics import MetricFamily, Sample
from clawscope.store import FindingQuery, Store

OPEN_FINDINGS = "clawscope_findings_open"
SEVERITIES = ("info", "warning", "critical")


@register
def findings_families(store: Store, _max_values: int) -> Iterable[MetricFamily]:
    """Open findings by family and severity, from the store."""
    counts = {(f, s): 0.0 for f in FAMILIES for s in SEVERITIES}
    for r in store.findings.counts(FindingQuery(status="open")):
        key = (str(r["family"]), str(r["severity"]))
        counts[key] = counts.get(key, 0.0) + float(r["n"])
    return [
        MetricFamily(
            OPEN_FINDINGS,
            "gauge",
            "Open findings of the failure detectors (clawscope detect), by family and severity.",
            ("family", "severity"),
            [Sample(k, v) for k, v in sorted(counts.items())],
        )
    ]


def _open(by: str = "", *matchers: str) -> str:
    grouping = f" by ({by})" if by else ""
    return or_zero(f"sum{grouping} ({sel(OPEN_FINDINGS, *matchers, filtered=False)})")


def _stat(title: str, expr: str, description: str = "") -> Panel:
    return Panel(title, "stat", (q(expr),), "short", description, width=6, height=4)


FINDINGS_DASHBOARD = Dashboard(
    "clawscope-findings",
    "clawscope / Findings",
    "Open findings of the failure detectors (loops, tool abuse, risky commands, PII, …): `clawscope detect`.",
    (
        _stat("Open findings", _open()),
        _stat("Critical", _open("", 'severity="critical"')),
        _stat("Warning", _open("", 'severity="warning"')),
        _stat("Info", _open("", 'severity="info"')),
        Panel("Open findings by family", "bargauge", (q(_open("family"), "{{family}}"),), "short"),
        Panel(
            "Open findings by severity",
            "timeseries",
            (q(_open("severity"), "{{severity}}"),),
            "short",
            "How many findings were open at each moment.",
        ),
        Panel(
            "Open findings by family and severity",
            "table",
            (q(_open("family, severity"), "{{family}} {{severity}}"),),
            "short",
            width=24,
        ),
    ),
)

if FINDINGS_DASHBOARD not in EXTRA_DASHBOARDS:
    EXTRA_DASHBOARDS.append(FINDINGS_DASHBOARD)

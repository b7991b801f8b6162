"""Prometheus recording and alerting rules for the measures the dashboards show (`clawscope grafana
rules`; checked by `promtool check rules` in the tests).

Recording rules pre-compute the hourly increases by the labels people break costs down by; alerting
rules watch spend, error rates and ingest problems. Each alert is a measure and a threshold, so the tests
can run every measure (it must return data on the demo state) apart from its threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clawscope.exports.promql import increase, one, or_zero, ratio

_BY = "openclaw_instance, agent, trigger, provider, model"
CALLS = "clawscope_model_calls_total"
COST = "clawscope_cost_usd_total"
TOOLS = "clawscope_tool_calls_total"


@dataclass(frozen=True)
class Alert:
    name: str
    measure: str
    op: str
    threshold: float
    for_: str
    severity: str
    summary: str

    @property
    def expr(self) -> str:
        return f"({self.measure}) {self.op} {self.threshold:g}"


def _plain(metric: str, window: str, by: str, *matchers: str) -> str:
    """Rules see every series: no dashboard filter."""
    return increase(metric, window, by, *matchers, filtered=False)


RECORDING: tuple[tuple[str, str], ...] = (
    ("clawscope:cost_usd:increase1h", _plain(COST, "1h", _BY)),
    ("clawscope:estimated_cost_usd:increase1h", _plain("clawscope_estimated_cost_usd_total", "1h", _BY)),
    ("clawscope:tokens:increase1h", _plain("clawscope_tokens_total", "1h", f"{_BY}, type")),
    ("clawscope:model_calls:increase1h", _plain(CALLS, "1h", f"{_BY}, outcome")),
    ("clawscope:tool_calls:increase1h", _plain(TOOLS, "1h", "openclaw_instance, agent, tool, outcome")),
    (
        "clawscope:model_call_error_ratio:rate15m",
        ratio(
            _plain(CALLS, "15m", "openclaw_instance, agent", 'outcome="error"'),
            _plain(CALLS, "15m", "openclaw_instance, agent"),
        ),
    ),
    (
        "clawscope:tool_error_ratio:rate1h",
        ratio(
            _plain(TOOLS, "1h", "openclaw_instance, tool", 'outcome="error"'),
            _plain(TOOLS, "1h", "openclaw_instance, tool"),
        ),
    ),
)

ALERTS: tuple[Alert, ...] = (
    Alert(
        "ClawscopeHourlyCostHigh",
        _plain(COST, "1h", "openclaw_instance"),
        ">",
        5.0,
        "5m",
        "warning",
        "OpenClaw spent more than $5 in the last hour on {{ $labels.openclaw_instance }}",
    ),
    Alert(
        "ClawscopeModelErrorRateHigh",
        ratio(
            _plain(CALLS, "15m", "openclaw_instance, agent", 'outcome="error"'),
            _plain(CALLS, "15m", "openclaw_instance, agent"),
        ),
        ">",
        0.25,
        "10m",
        "warning",
        "More than a quarter of model calls of agent {{ $labels.agent }} failed in 15 minutes",
    ),
    Alert(
        "ClawscopeToolErrorRateHigh",
        ratio(
            _plain(TOOLS, "1h", "openclaw_instance, tool", 'outcome="error"'),
            _plain(TOOLS, "1h", "openclaw_instance, tool"),
        ),
        ">",
        0.5,
        "15m",
        "info",
        "Tool {{ $labels.tool }} failed in more than half of its calls in the last hour",
    ),
    Alert(
        "ClawscopeIngestProblems",
        or_zero(_plain("clawscope_problems_total", "1h", "", 'severity="error"')),
        ">",
        0,
        "0m",
        "info",
        "clawscope found input it could not use in the last hour (see `clawscope problems`)",
    ),
    Alert(
        "ClawscopeMetricsMissing",
        f"count({one('clawscope_build_info')}) or vector(0)",
        "<",
        1,
        "10m",
        "critical",
        "No clawscope server is being scraped",
    ),
)


def rules_file() -> dict[str, Any]:
    """The rules as a Prometheus rule file."""
    return {
        "groups": [
            {
                "name": "clawscope-recording",
                "interval": "1m",
                "rules": [{"record": name, "expr": expr} for name, expr in RECORDING],
            },
            {
                "name": "clawscope-alerts",
                "rules": [
                    {
                        "alert": a.name,
                        "expr": a.expr,
                        "for": a.for_,
                        "labels": {"severity": a.severity, "source": "clawscope"},
                        "annotations": {"summary": a.summary},
                    }
                    for a in ALERTS
                ],
            },
        ]
    }

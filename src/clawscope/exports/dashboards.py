"""What the provisioned Grafana dashboards show, as data: each dashboard is a list of panels, each panel
its PromQL (`promql.py`), legend and unit. `grafana.py` builds them with grafana-foundation-sdk; the
tests run every expression against a real Prometheus scraping a real server.

`EXTRA_DASHBOARDS` is where packages that add metric families (findings, alerts) add their dashboard:
a dashboard is only provisioned when it has panels, so none shows a family that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clawscope.exports.promql import increase, one, or_zero, quantile, rate, ratio, sel, total


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass(frozen=True)
class Panel:
    title: str
    kind: str  # stat | timeseries | bargauge | table
    queries: tuple[Query, ...]
    unit: str = ""
    description: str = ""
    width: int = 12
    height: int = 8


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def q(expr: str, legend: str = "") -> Query:
    return Query(expr, legend)


CALLS = "clawscope_model_calls_total"
COST = "clawscope_cost_usd_total"
EST = "clawscope_estimated_cost_usd_total"
TOKENS = "clawscope_tokens_total"
TOOLS = "clawscope_tool_calls_total"


def _stat(title: str, expr: str, unit: str = "", description: str = "") -> Panel:
    return Panel(title, "stat", (q(expr),), unit, description, width=6, height=4)


OVERVIEW = Dashboard(
    "clawscope-overview",
    "clawscope / Overview",
    "Cost, tokens, model and tool calls of your OpenClaw agents (all time and per hour).",
    (
        _stat("Cost (reported), all time", total(COST), "currencyUSD", "Exactly what OpenClaw reported."),
        _stat(
            "Estimated cost, all time", total(EST), "currencyUSD", "clawscope's estimate for unpriced calls."
        ),
        _stat("Model calls, all time", total(CALLS), "short"),
        _stat("Tool calls, all time", total(TOOLS), "short"),
        _stat(
            "Model-call error rate", ratio(total(CALLS, "", 'outcome="error"'), total(CALLS)), "percentunit"
        ),
        _stat(
            "Cache hit rate",
            ratio(total(TOKENS, "", 'type="cache_read"'), total(TOKENS, "", 'type=~"input|cache_read"')),
            "percentunit",
            "Cache reads over all prompt tokens.",
        ),
        _stat("Tool error rate", ratio(total(TOOLS, "", 'outcome="error"'), total(TOOLS)), "percentunit"),
        _stat("Sessions stored", one("clawscope_sessions_total"), "short"),
        Panel(
            "Cost per hour by trigger",
            "timeseries",
            (q(increase(COST, "1h", "trigger"), "{{trigger}}"),),
            "currencyUSD",
        ),
        Panel(
            "Tokens per hour by type", "timeseries", (q(increase(TOKENS, "1h", "type"), "{{type}}"),), "short"
        ),
        Panel(
            "Model calls per minute by outcome",
            "timeseries",
            (q(f"60 * {rate(CALLS, '$__rate_interval', 'outcome')}", "{{outcome}}"),),
            "short",
        ),
        Panel(
            "Tool calls per minute by outcome",
            "timeseries",
            (q(f"60 * {rate(TOOLS, '$__rate_interval', 'outcome')}", "{{outcome}}"),),
            "short",
        ),
    ),
)

COST_DASHBOARD = Dashboard(
    "clawscope-cost",
    "clawscope / Cost by trigger, agent and model",
    "Where the money goes: reported and estimated cost, tokens and calls by trigger, agent and model.",
    (
        Panel(
            "Cost by trigger, all time",
            "bargauge",
            (q(total(COST, "trigger"), "{{trigger}}"),),
            "currencyUSD",
        ),
        Panel("Cost by agent, all time", "bargauge", (q(total(COST, "agent"), "{{agent}}"),), "currencyUSD"),
        Panel(
            "Cost by model, all time",
            "bargauge",
            (q(total(COST, "provider, model"), "{{provider}}/{{model}}"),),
            "currencyUSD",
        ),
        Panel(
            "Estimated cost by model, all time",
            "bargauge",
            (q(total(EST, "provider, model"), "{{provider}}/{{model}}"),),
            "currencyUSD",
            "Calls OpenClaw did not price, at the pinned price table.",
        ),
        Panel(
            "Cost per hour by agent",
            "timeseries",
            (q(increase(COST, "1h", "agent"), "{{agent}}"),),
            "currencyUSD",
        ),
        Panel(
            "Cost per hour by model",
            "timeseries",
            (q(increase(COST, "1h", "model"), "{{model}}"),),
            "currencyUSD",
        ),
        Panel(
            "Tokens by model and type, all time",
            "table",
            (q(total(TOKENS, "model, type"), "{{model}} {{type}}"),),
            "short",
        ),
        Panel(
            "Model calls by trigger, all time",
            "bargauge",
            (q(total(CALLS, "trigger"), "{{trigger}}"),),
            "short",
        ),
    ),
)

TOOLS_DASHBOARD = Dashboard(
    "clawscope-tools",
    "clawscope / Tools and errors",
    "Tool calls, their errors and durations; model-call errors and latency.",
    (
        Panel("Tool calls by tool, all time", "bargauge", (q(total(TOOLS, "tool"), "{{tool}}"),), "short"),
        Panel(
            "Tool error rate by tool, all time",
            "bargauge",
            (q(ratio(total(TOOLS, "tool", 'outcome="error"'), total(TOOLS, "tool")), "{{tool}}"),),
            "percentunit",
        ),
        Panel(
            "Tool duration p95 by tool, all time",
            "bargauge",
            (q(quantile(0.95, "clawscope_tool_duration_seconds", "tool", per_agent=False), "{{tool}}"),),
            "s",
        ),
        Panel(
            "Tool errors per hour by tool",
            "timeseries",
            (q(increase(TOOLS, "1h", "tool", 'outcome="error"'), "{{tool}}"),),
            "short",
        ),
        Panel(
            "Model-call errors by model, all time",
            "bargauge",
            (q(total(CALLS, "model", 'outcome="error"'), "{{model}}"),),
            "short",
        ),
        Panel(
            "Model-call latency by model, all time",
            "bargauge",
            (
                q(quantile(0.5, "clawscope_model_call_duration_seconds", "model"), "p50 {{model}}"),
                q(quantile(0.95, "clawscope_model_call_duration_seconds", "model"), "p95 {{model}}"),
            ),
            "s",
        ),
    ),
)

INGEST_DASHBOARD = Dashboard(
    "clawscope-ingest",
    "clawscope / Ingest health",
    "Is data arriving: the latest ingest, input problems, requests on the ingestion endpoints, the servers.",
    (
        _stat(
            "Since the latest ingest",
            f"time() - max({sel('clawscope_ingest_last_run_timestamp_seconds', filtered=False)})",
            "s",
        ),
        _stat(
            "Latest ingest succeeded",
            f"min({sel('clawscope_ingest_last_run_success', filtered=False)})",
            "bool",
        ),
        _stat("Problems, all time", or_zero(total("clawscope_problems_total", filtered=False)), "short"),
        _stat("Server processes scraped", "count(clawscope_build_info)", "short"),
        Panel(
            "Problems by code and severity, all time",
            "table",
            (
                q(
                    or_zero(total("clawscope_problems_total", "code, severity", filtered=False)),
                    "{{code}} {{severity}}",
                ),
            ),
            "short",
        ),
        Panel(
            "Ingestion requests per minute by endpoint and outcome",
            "timeseries",
            (
                q(
                    "60 * "
                    + rate(
                        "clawscope_received_requests_total",
                        "$__rate_interval",
                        "endpoint, outcome",
                        filtered=False,
                    ),
                    "{{endpoint}} {{outcome}}",
                ),
            ),
            "short",
        ),
        Panel(
            "Server memory (resident)",
            "timeseries",
            (q("process_resident_memory_bytes and on (instance, job) clawscope_build_info", "{{instance}}"),),
            "bytes",
        ),
        Panel(
            "Server CPU",
            "timeseries",
            (
                q(
                    "rate(process_cpu_seconds_total[$__rate_interval])"
                    " and on (instance, job) clawscope_build_info",
                    "{{instance}}",
                ),
            ),
            "percentunit",
        ),
    ),
)

# Findings and alerts (issues 14 and 15) add their dashboard here when their metric families exist.
EXTRA_DASHBOARDS: list[Dashboard] = []


def dashboards() -> list[Dashboard]:
    """Every dashboard to provision (those with panels)."""
    return [
        d
        for d in (OVERVIEW, COST_DASHBOARD, TOOLS_DASHBOARD, INGEST_DASHBOARD, *EXTRA_DASHBOARDS)
        if d.panels
    ]

"""The metric families clawscope exposes, read from the store: the same numbers in every server process
and right after a restart (nothing is counted in memory).

Families (Prometheus names; counters are exposed with `_total`), their labels and the cardinality rule
are documented in the README ("Prometheus metrics"). Free-text label values (agent, model, provider,
channel, tool, instance) are capped at `max_values` each, earliest seen first, the rest reported as
`other` (`model.metrics.capped`). The OpenClaw instance is the label `openclaw_instance`: Prometheus
reserves `instance` for the scrape target.

`SOURCES` is the registration point of families other packages own: a source is a callable
`(store, max_values) -> Iterable[MetricFamily]`; `collect` appends what each returns. Findings (issue 14)
and alerts (issue 15) add theirs there when they land.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from clawscope import __version__
from clawscope.model.metrics import OTHER, MetricFamily, Sample, capped, first_seen
from clawscope.money import usd
from clawscope.store import CALL_BOUNDS_MS, TOOL_BOUNDS_MS, Store

Source = Callable[[Store, int], Iterable[MetricFamily]]
DEFAULT_MAX_VALUES = 50

CALL_LABELS = ("openclaw_instance", "agent", "trigger", "channel", "provider", "model")
TOOL_LABELS = ("openclaw_instance", "agent", "trigger", "channel", "tool")
CALL_HISTOGRAM_LABELS = ("openclaw_instance", "agent", "provider", "model")
TOOL_HISTOGRAM_LABELS = ("openclaw_instance", "tool")  # a histogram costs ~15 series per label set
# the store's column behind each label, and how an empty value reads (as the stats API spells it)
_COLUMN = {"openclaw_instance": "instance"}
_EMPTY = {"agent": "unknown", "provider": "unknown", "channel": "none", "openclaw_instance": "unknown"}
CAPPED = ("openclaw_instance", "agent", "channel", "provider", "model", "tool")
TOKEN_TYPES = (
    ("input", "tokens_in"),
    ("output", "tokens_out"),
    ("cache_read", "cache_read"),
    ("cache_write", "cache_write"),
)

# The ingestion endpoints and outcomes whose requests are counted (web/request_counts.py); every pair is
# exposed, 0 until it happens, so rates and dashboards have their series from the start.
REQUEST_ENDPOINTS = {
    "/api/v1/openclaw/webhook": "webhook",
    "/api/v1/openclaw/events": "events",
    "/v1/traces": "otlp_traces",
    "/v1/metrics": "otlp_metrics",
    "/v1/logs": "otlp_logs",
}
REQUEST_OUTCOMES = ("accepted", "unauthorized", "replayed", "too_large", "rate_limited", "invalid", "error")

# Families other packages own (findings, alerts): see the module docstring.
SOURCES: list[Source] = []


def register(source: Source) -> Source:
    """Add a source of families to every scrape and OTLP metrics export (usable as a decorator)."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


def collect(store: Store, max_values: int = DEFAULT_MAX_VALUES) -> list[MetricFamily]:
    """Every family, from the store."""
    calls = _labelled(store.metrics.calls(), CALL_LABELS, max_values)
    tools = _labelled(store.metrics.tools(), TOOL_LABELS, max_values)
    families = [
        *_call_families(calls),
        *_tool_families(tools),
        *_ingest_families(store, max_values),
        _requests(store),
        *_otlp_families(store),
        MetricFamily(
            "clawscope_build_info",
            "gauge",
            "The running clawscope's version (always 1).",
            ("version",),
            [Sample((__version__,), 1.0)],
        ),
    ]
    for source in SOURCES:
        families.extend(source(store, max_values))
    return families


# -- label sets ------------------------------------------------------------------------------------------


def _labelled(rows: list[dict[str, Any]], labels: Sequence[str], cap: int) -> list[dict[str, Any]]:
    """Rows with their label values read (empty values named as the stats API names them) and capped."""
    out = []
    for r in rows:
        d = dict(r)
        for label in labels:
            value = str(r[_COLUMN.get(label, label)])
            d[label] = value or _EMPTY.get(label, "unknown")
        out.append(d)
    for label in CAPPED:
        if label not in labels:
            continue
        named = capped(first_seen(out, label), cap)
        for d in out:
            if d[label] not in named:
                d[label] = OTHER
    return out


def _sum(
    rows: Iterable[dict[str, Any]], labels: Sequence[str], fields: Sequence[str]
) -> dict[tuple[str, ...], list[float]]:
    """Per label tuple (of `labels`): the sums of `fields`."""
    out: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0] * len(fields))
    for r in rows:
        acc = out[tuple(r[label] for label in labels)]
        for i, f in enumerate(fields):
            acc[i] += r[f]
    return dict(sorted(out.items()))


def _counter(
    name: str, help: str, labels: Sequence[str], points: dict[tuple[str, ...], float]
) -> MetricFamily:
    return MetricFamily(name, "counter", help, tuple(labels), [Sample(k, v) for k, v in points.items()])


def _histogram(
    name: str, help: str, labels: Sequence[str], rows: list[dict[str, Any]], bounds_ms: Sequence[int]
) -> MetricFamily:
    n = len(bounds_ms) + 1
    fields = ["dur_n", "dur_sum", *(f"b{i}" for i in range(n))]
    samples = []
    for key, v in _sum(rows, labels, fields).items():
        if not v[0]:
            continue
        cumulative, running = [], 0.0
        for count in v[2:]:
            running += count
            cumulative.append(running)
        samples.append(Sample(key, buckets=tuple(cumulative), sum=v[1] / 1000))
    return MetricFamily(
        name,
        "histogram",
        help,
        tuple(labels),
        samples,
        bounds=tuple(b / 1000 for b in bounds_ms),
        unit="seconds",
    )


# -- model calls and tools -------------------------------------------------------------------------------


def _call_families(rows: list[dict[str, Any]]) -> list[MetricFamily]:
    sums = _sum(rows, CALL_LABELS, ("calls", "errors", "cost", "est_cost", *(c for _, c in TOKEN_TYPES)))
    outcomes = {}
    tokens = {}
    for key, v in sums.items():
        outcomes[(*key, "ok")] = v[0] - v[1]
        outcomes[(*key, "error")] = v[1]
        for i, (kind, _) in enumerate(TOKEN_TYPES):
            tokens[(*key, kind)] = v[4 + i]
    return [
        _counter(
            "clawscope_model_calls",
            "Model calls (assistant replies that are real calls), by outcome.",
            (*CALL_LABELS, "outcome"),
            outcomes,
        ),
        _counter(
            "clawscope_tokens",
            "Tokens of model calls, by type (input excludes cache reads).",
            (*CALL_LABELS, "type"),
            tokens,
        ),
        _counter(
            "clawscope_cost_usd",
            "Cost OpenClaw reported (usage.cost.total), in US dollars.",
            CALL_LABELS,
            {k: usd(v[2]) for k, v in sums.items()},  # summed in nano-dollars, exact
        ),
        _counter(
            "clawscope_estimated_cost_usd",
            "clawscope's estimate for calls OpenClaw did not price, in US dollars.",
            CALL_LABELS,
            {k: usd(v[3]) for k, v in sums.items()},
        ),
        _histogram(
            "clawscope_model_call_duration_seconds",
            "Time from a turn's start to its model reply, for calls whose records give both.",
            CALL_HISTOGRAM_LABELS,
            rows,
            CALL_BOUNDS_MS,
        ),
    ]


def _tool_families(rows: list[dict[str, Any]]) -> list[MetricFamily]:
    sums = _sum(rows, TOOL_LABELS, ("calls", "errors", "pending"))
    outcomes = {}
    for key, (calls, errors, pending) in sums.items():
        outcomes[(*key, "ok")] = calls - errors - pending
        outcomes[(*key, "error")] = errors
        if pending:  # rare: only where some call still waits for its result
            outcomes[(*key, "pending")] = pending
    return [
        _counter(
            "clawscope_tool_calls",
            "Tool calls the model issued, by outcome (error: the result was an error; "
            "pending: no result yet).",
            (*TOOL_LABELS, "outcome"),
            outcomes,
        ),
        _histogram(
            "clawscope_tool_duration_seconds",
            "Tool call durations (as OpenClaw reported them, else result time minus call time).",
            TOOL_HISTOGRAM_LABELS,
            rows,
            TOOL_BOUNDS_MS,
        ),
    ]


# -- ingest, requests, OTLP export ------------------------------------------------------------------------


def _ingest_families(store: Store, cap: int) -> list[MetricFamily]:
    state = store.metrics.ingest()
    problems: dict[tuple[str, ...], float] = {}
    codes = capped({code: None for _, code, _, _ in state["problems"]}, cap)
    for source, code, severity, n in state["problems"]:
        key = (source, code if code in codes else OTHER, severity)
        problems[key] = problems.get(key, 0) + n
    families = [
        _counter(
            "clawscope_sessions",
            "Transcript sessions stored (with at least one entry).",
            (),
            {(): state["sessions"]},
        ),
        _counter(
            "clawscope_problems",
            "Input that could not be used as is (clawscope problems), by source, code and severity.",
            ("source", "code", "severity"),
            dict(sorted(problems.items())),
        ),
    ]
    if state["last_run_ms"] is not None:
        families.append(
            MetricFamily(
                "clawscope_ingest_last_run_timestamp_seconds",
                "gauge",
                "When the latest recorded ingest finished (Unix time).",
                (),
                [Sample((), state["last_run_ms"] / 1000)],
            )
        )
        families.append(
            MetricFamily(
                "clawscope_ingest_last_run_success",
                "gauge",
                "1 if the latest recorded ingest succeeded.",
                (),
                [Sample((), 1.0 if state["last_status"] == "ok" else 0.0)],
            )
        )
    return families


def _requests(store: Store) -> MetricFamily:
    points = {(e, o): 0.0 for e in REQUEST_ENDPOINTS.values() for o in REQUEST_OUTCOMES}
    points.update({(r["endpoint"], r["outcome"]): float(r["n"]) for r in store.metrics.requests()})
    return _counter(
        "clawscope_received_requests",
        "Requests received on the ingestion endpoints (session webhook, event webhooks, OTLP), by outcome.",
        ("endpoint", "outcome"),
        dict(sorted(points.items())),
    )


def _otlp_families(store: Store) -> list[MetricFamily]:
    rows = store.metrics.otlp()
    if not rows:
        return []
    return [
        _counter(
            "clawscope_otlp_export_turns",
            "Turns (traces) the OTLP export sent and the receiver acknowledged.",
            ("target",),
            {(r["target"],): r["turns"] for r in rows},
        ),
        _counter(
            "clawscope_otlp_export_spans",
            "Spans the OTLP export sent and the receiver acknowledged.",
            ("target",),
            {(r["target"],): r["spans"] for r in rows},
        ),
        MetricFamily(
            "clawscope_otlp_export_last_success_timestamp_seconds",
            "gauge",
            "When the OTLP export last had a batch acknowledged (Unix time).",
            ("target",),
            [Sample((r["target"],), r["last_sent_ms"] / 1000) for r in rows if r["last_sent_ms"] is not None],
        ),
    ]

"""OTLP export: ingested turns as traces (`otlp_spans.py`) and the metric families as OTLP metrics, to
an OTLP/HTTP (protobuf) endpoint, with the OpenTelemetry SDK's exporters (which retry 429, 502–504 with
backoff and honour the endpoint's headers).

Traces go in batches of whole turns, in a fixed order (sessions by storage order, turns in transcript
order). A batch's turns are recorded as sent (`Store.otlp.mark_sent`, the cursor) only after the
receiver acknowledged it, in one transaction: killed at any moment, the next run resends at most the
batch that was in flight, with the same ids, and loses nothing. A session's last turn waits until it
settles (`settle_s` without a new entry, or a next turn) so that a trace is sent once, whole.

Off unless an endpoint is configured (`otlp_endpoint`). `clawscope serve` exports what ingest adds from
the moment the export is first enabled for an endpoint (`Background`); `clawscope otlp export --since`
back-fills history.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricExportResult,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult

from clawscope import __version__
from clawscope.errors import ClawscopeError, UsageError
from clawscope.exports.metrics import collect
from clawscope.exports.otlp_spans import SCOPE, Turn, resource, spans, turns
from clawscope.model.metrics import MetricFamily
from clawscope.store import Store

log = logging.getLogger("clawscope.otlp")
DEFAULT_BATCH_TURNS = 100
DEFAULT_SETTLE_S = 300
_PAGE = 200


class ExportError(ClawscopeError):
    """The endpoint did not acknowledge a batch (after the exporter's own retries)."""


@dataclass(frozen=True)
class Target:
    """An OTLP/HTTP endpoint (the base URL: `/v1/traces` and `/v1/metrics` are added) and its headers."""

    endpoint: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The cursor's name for this endpoint."""
        return hashlib.sha256(self.endpoint.rstrip("/").encode()).hexdigest()[:12]

    def url(self, signal: str) -> str:
        return f"{self.endpoint.rstrip('/')}/v1/{signal}"


def parse_headers(text: str) -> dict[str, str]:
    """`k=v,k2=v2` (values percent-decoded), as OTEL_EXPORTER_OTLP_HEADERS spells them."""
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"an OTLP header must read name=value, not {part.strip()!r}")
        out[name.strip()] = unquote(value.strip())
    return out


def target(endpoint: str, headers: str | dict[str, str] = "") -> Target:
    if not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"the OTLP endpoint must be an http(s) URL, not {endpoint!r}")
    return Target(endpoint, headers if isinstance(headers, dict) else parse_headers(headers))


@dataclass
class Report:
    turns: int = 0
    spans: int = 0
    batches: int = 0
    sessions: int = 0


class TraceExport:
    """Sends the turns not yet sent to a target, batch by batch, committing the cursor after each."""

    def __init__(
        self,
        store: Store,
        to: Target,
        *,
        batch_turns: int = DEFAULT_BATCH_TURNS,
        settle_s: float = DEFAULT_SETTLE_S,
        timeout_s: float = 10.0,
    ) -> None:
        if batch_turns < 1:
            raise UsageError("the batch must hold at least one turn")
        self.store = store
        self.to = to
        self.batch_turns = batch_turns
        self.settle_ms = int(settle_s * 1000)
        self.exporter = OTLPSpanExporter(endpoint=to.url("traces"), headers=to.headers, timeout=timeout_s)
        self._spans: list[ReadableSpan] = []
        self._turns: list[tuple[int, str, int, int]] = []
        self._sessions: list[tuple[int, int, int | None]] = []
        self.report = Report()

    def run(self, since_ms: int | None = None) -> Report:
        """Send every settled turn (starting at or after `since_ms`) not sent yet; raise `ExportError`
        when the endpoint gives up (what was acknowledged before stays recorded)."""
        now = self.store.clock()
        after = 0
        try:
            while True:
                page = self.store.otlp.pending(self.to.key, since_ms, after, _PAGE)
                if not page:
                    break
                for sid, _session_id, entries in page:
                    after = sid
                    self._session(sid, entries, since_ms, now)
            self._flush()
        finally:
            self.exporter.shutdown()  # type: ignore[no-untyped-call]
        return self.report

    def _session(self, sid: int, entries: int, since_ms: int | None, now: int) -> None:
        session = self.store.otlp.session(sid)
        sent = self.store.otlp.sent(self.to.key, sid)
        res = resource(session["instance"])
        found = turns(session)
        settled = True
        for i, turn in enumerate(found):
            if i == len(found) - 1 and not self._settled(turn, now):
                settled = False
                continue
            opened = turn.opened_ms if turn.opened_ms is not None else turn.start_ms
            if since_ms is not None and (opened is None or opened < since_ms):
                continue
            before = sent.get(turn.anchor)
            if before is not None and before >= turn.last_pos:
                continue
            made = spans(session, turn, res, -1 if before is None else before)
            self._spans.extend(made)
            self._turns.append((sid, turn.anchor, turn.last_pos, len(made)))
            if len(self._turns) >= self.batch_turns:
                self._flush()
        if settled:
            self._sessions.append((sid, entries, since_ms))
            self.report.sessions += 1

    def _settled(self, turn: Turn, now: int) -> bool:
        return turn.end_ms is not None and turn.end_ms <= now - self.settle_ms

    def _flush(self) -> None:
        if self._spans:
            result = self.exporter.export(self._spans)
            if result is not SpanExportResult.SUCCESS:
                raise ExportError(
                    f"{self.to.url('traces')} did not accept a batch of {len(self._spans)} spans"
                )
            self.report.batches += 1
        if self._turns or self._sessions:
            self.store.otlp.mark_sent(self.to.key, self._turns, self._sessions)  # the cursor, after the ack
        self.report.turns += len(self._turns)
        self.report.spans += len(self._spans)
        self._spans, self._turns, self._sessions = [], [], []


# -- metrics ----------------------------------------------------------------------------------------------

# Prometheus label -> OTLP attribute (OpenClaw's and the GenAI conventions' names).
ATTRIBUTES = {
    "openclaw_instance": "openclaw.instance",
    "agent": "openclaw.agent",
    "trigger": "openclaw.trigger",
    "channel": "openclaw.channel",
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.request.model",
    "tool": "gen_ai.tool.name",
    "outcome": "openclaw.outcome",
    "type": "openclaw.token",
}


def otel_name(family: MetricFamily) -> str:
    """`clawscope_model_calls` -> `clawscope.model_calls`; a unit suffix becomes the unit."""
    name = family.name.removeprefix("clawscope_")
    if family.unit and name.endswith("_" + family.unit):
        name = name[: -len(family.unit) - 1]
    return "clawscope." + name


def metrics_data(families: list[MetricFamily], start_ms: int, now_ms: int, res: Resource) -> MetricsData:
    """The families as cumulative OTLP metrics (counters as monotonic sums)."""
    start, now = start_ms * 1_000_000, now_ms * 1_000_000
    out = []
    for f in families:
        names = [ATTRIBUTES.get(label, f"clawscope.{label}") for label in f.labels]
        data: Any
        if f.kind == "histogram":
            buckets = []
            for s in f.samples:
                per_bucket = [int(b - a) for a, b in zip((0.0, *s.buckets[:-1]), s.buckets, strict=True)]
                buckets.append(
                    HistogramDataPoint(
                        dict(zip(names, s.labels, strict=True)), start, now, int(s.buckets[-1]), s.sum,
                        per_bucket, list(f.bounds), None, None,  # type: ignore[arg-type]
                    )
                )  # fmt: skip
            data = Histogram(buckets, AggregationTemporality.CUMULATIVE)
        else:
            points = [
                NumberDataPoint(dict(zip(names, s.labels, strict=True)), start, now, s.value)
                for s in f.samples
            ]
            data = (
                Sum(points, AggregationTemporality.CUMULATIVE, True) if f.kind == "counter" else Gauge(points)
            )
        unit = "s" if f.unit == "seconds" else ("USD" if "usd" in f.name else "1")
        out.append(Metric(otel_name(f), f.help, unit, data))
    scope = ScopeMetrics(SCOPE, out, "")
    return MetricsData([ResourceMetrics(res, [scope], "")])


def export_metrics(store: Store, to: Target, max_values: int, timeout_s: float = 10.0) -> int:
    """Send the metric families once (cumulative, from the first time they were sent to this target);
    return the number of metrics."""
    now = store.clock()
    start = store.otlp.marker(f"metrics-start:{to.key}", now)
    families = collect(store, max_values)
    res = Resource.create({"service.name": "clawscope", "service.version": __version__})
    exporter = OTLPMetricExporter(endpoint=to.url("metrics"), headers=to.headers, timeout=timeout_s)
    try:
        if exporter.export(metrics_data(families, start, now, res)) is not MetricExportResult.SUCCESS:
            raise ExportError(f"{to.url('metrics')} did not accept the metrics")
    finally:
        exporter.shutdown()
    return len(families)


# -- the live export of `serve` ---------------------------------------------------------------------------


class Background:
    """`serve`'s export: every `interval_s`, the turns ingest added since the export was first enabled for
    this endpoint, then the metrics. Failures are logged and retried at the next round."""

    def __init__(
        self,
        store: Store,
        to: Target,
        interval_s: float,
        batch_turns: int,
        settle_s: float,
        max_values: int,
    ) -> None:
        self.store, self.to = store, to
        self.interval_s, self.batch_turns, self.settle_s, self.max_values = (
            interval_s,
            batch_turns,
            settle_s,
            max_values,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="clawscope-otlp", daemon=True)
        self.last_error: str | None = None
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def round(self) -> None:
        since = self.store.otlp.marker(f"live-since:{self.to.key}", self.store.clock())
        TraceExport(self.store, self.to, batch_turns=self.batch_turns, settle_s=self.settle_s).run(since)
        export_metrics(self.store, self.to, self.max_values)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.round()
                self.last_error = None
            except Exception as exc:  # an unreachable endpoint must not stop serving
                self.last_error = f"{exc.__class__.__name__}: {exc}"
                log.warning("OTLP export to %s failed: %s", self.to.endpoint, self.last_error)
            self.rounds += 1
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

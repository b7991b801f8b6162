"""The OTLP/HTTP receiver, driven by the real OpenTelemetry Python SDK and its OTLP/HTTP exporters."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from clawscope.store import Store
from tests.support.server import LiveServer, auth

RESOURCE = Resource.create({"service.name": "openclaw", "host.name": "gw-1"})


def openclaw_spans(provider: TracerProvider) -> None:
    """The spans OpenClaw's diagnostics-otel emits (format doc §4.4), with their attributes."""
    tracer = provider.get_tracer("openclaw")
    with tracer.start_as_current_span("openclaw.run", attributes={"openclaw.session.id": "sess-9"}):
        with tracer.start_as_current_span(
            "openclaw.model.usage",
            attributes={
                "openclaw.channel": "telegram",
                "openclaw.provider": "anthropic",
                "openclaw.model": "claude-sonnet-4",
                "openclaw.sessionKey": "agent:main:main",
                "openclaw.sessionId": "sess-9",
                "openclaw.agent.name": "main",
                "openclaw.session.state": "processing",
                "openclaw.tokens.input": 1200,
                "openclaw.tokens.output": 80,
                "openclaw.tokens.cache_read": 300,
                "openclaw.tokens.cache_write": 0,
                "openclaw.tokens.total": 1580,
            },
        ):
            pass
        with tracer.start_as_current_span(
            "openclaw.tool.execution",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "exec",
                "gen_ai.tool.call.id": "call_7",
                "openclaw.session.id": "sess-9",
                "openclaw.agent.name": "main",
            },
        ) as span:
            span.set_status(Status(StatusCode.ERROR, "exit 1"))


@pytest.fixture
def key(make_key: Callable[..., str]) -> str:
    return make_key("ingest:write")


def observations(store: Store) -> list[dict[str, Any]]:
    return sorted(store.observations.query(source="otlp"), key=lambda o: o["id"])


def check_spans(store: Store) -> None:
    found = {o["name"]: o for o in observations(store)}
    assert set(found) == {"openclaw.run", "openclaw.model.usage", "openclaw.tool.execution"}
    llm = found["openclaw.model.usage"]
    assert (llm["category"], llm["provider"], llm["model"], llm["agent"], llm["session_id"]) == (
        "llm",
        "anthropic",
        "claude-sonnet-4",
        "main",
        "sess-9",
    )
    assert (llm["tokens_in"], llm["tokens_out"], llm["cache_read"], llm["total_tokens"]) == (
        1200,
        80,
        300,
        1580,
    )
    assert llm["session_key"] == "agent:main:main" and llm["instance"] == "gw-1"
    assert llm["payload"]["sessionState"] == "processing"
    tool = found["openclaw.tool.execution"]
    assert (tool["category"], tool["tool_name"], tool["call_id"], tool["is_error"]) == (
        "tool",
        "exec",
        "call_7",
        True,
    )
    assert found["openclaw.run"]["category"] == "run"
    assert found["openclaw.run"]["duration_ms"] >= 0
    types = {e.type: e for e in store.events.read_after(0)}
    assert set(types) == {"llm.call", "tool.call"}
    assert types["tool.call"].payload == {
        "source": "otlp",
        "name": "exec",
        "sessionKey": None,
        "runId": None,
        "callId": "call_7",
        "event": "openclaw.tool.execution",
        "status": "error",
        "durationMs": types["tool.call"].payload["durationMs"],
    }


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_traces_from_the_sdk_exporter(
    live_server: LiveServer, store: Store, key: str, compression: Any
) -> None:
    exporter = OTLPSpanExporter(
        endpoint=live_server.url + "/v1/traces", headers=auth(key), compression=compression, timeout=10
    )
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    openclaw_spans(provider)
    provider.shutdown()
    check_spans(store)


def test_resent_spans_are_stored_once(live_server: LiveServer, store: Store, key: str) -> None:
    spans = recorded_spans()
    exporter = OTLPSpanExporter(endpoint=live_server.url + "/v1/traces", headers=auth(key), timeout=10)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()
    assert len(observations(store)) == 3
    assert store.events.max_id() == 2


def recorded_spans() -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    openclaw_spans(provider)
    provider.shutdown()
    return list(memory.get_finished_spans())


def otlp_json(spans: list[ReadableSpan]) -> bytes:
    """OTLP/JSON of the SDK's own request: protobuf JSON mapping, with ids as hex (the OTLP rule)."""
    data = json_format.MessageToDict(encode_spans(spans))

    def hexify(v: Any) -> Any:
        if isinstance(v, dict):
            import base64

            return {
                k: base64.b64decode(x).hex() if k in ("traceId", "spanId", "parentSpanId") else hexify(x)
                for k, x in v.items()
            }
        if isinstance(v, list):
            return [hexify(x) for x in v]
        return v

    return json.dumps(hexify(data)).encode()


@pytest.mark.parametrize("gz", [False, True])
def test_traces_as_json(live_server: LiveServer, store: Store, key: str, gz: bool) -> None:
    body = otlp_json(recorded_spans())
    headers = {**auth(key), "Content-Type": "application/json"}
    if gz:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    r = httpx.post(live_server.url + "/v1/traces", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    json_format.Parse(r.text, ExportTraceServiceResponse())
    check_spans(store)


@pytest.fixture
def meter(live_server: LiveServer, key: str) -> Iterator[tuple[MeterProvider, Any]]:
    exporter = OTLPMetricExporter(endpoint=live_server.url + "/v1/metrics", headers=auth(key), timeout=10)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    yield provider, provider.get_meter("openclaw")
    provider.shutdown()


def test_metrics_from_the_sdk_exporter(meter: tuple[MeterProvider, Any], store: Store) -> None:
    provider, m = meter
    tokens = m.create_counter("openclaw.tokens", unit="1")
    cost = m.create_counter("openclaw.cost.usd", unit="1")
    base = {"openclaw.channel": "telegram", "openclaw.provider": "anthropic", "openclaw.model": "claude"}
    tokens.add(1200, {**base, "openclaw.token": "input", "openclaw.agent": "main"})
    tokens.add(80, {**base, "openclaw.token": "output", "openclaw.agent": "main"})
    cost.add(0.0123, base)
    m.create_histogram("openclaw.run.duration_ms").record(2100.0, base)
    assert provider.force_flush(10_000)
    found = {(o["name"], o["payload"]["attributes"].get("openclaw.token")): o for o in observations(store)}
    assert found[("openclaw.tokens", "input")]["tokens_in"] == 1200
    assert found[("openclaw.tokens", "input")]["agent"] == "main"
    assert found[("openclaw.tokens", "output")]["tokens_out"] == 80
    assert found[("openclaw.tokens", "output")]["payload"]["temporality"] == "cumulative"
    assert found[("openclaw.cost.usd", None)]["cost_usd"] == pytest.approx(0.0123)
    hist = found[("openclaw.run.duration_ms", None)]
    assert (hist["category"], hist["value"], hist["payload"]["count"]) == ("metric", 2100.0, 1)
    assert store.events.max_id() == 0  # metric points are not live events


def test_session_state_metric(meter: tuple[MeterProvider, Any], store: Store) -> None:
    provider, m = meter
    m.create_counter("openclaw.session.state").add(
        1, {"openclaw.session.id": "sess-3", "openclaw.session.state": "idle", "openclaw.agent.name": "ops"}
    )
    assert provider.force_flush(10_000)
    [o] = observations(store)
    assert (o["category"], o["session_id"], o["agent"], o["payload"]["state"]) == (
        "session",
        "sess-3",
        "ops",
        "idle",
    )
    [ev] = store.events.read_after(0)
    assert (ev.type, ev.session_id, ev.payload["change"]) == (
        "session.updated",
        "sess-3",
        "openclaw.session.state",
    )


def test_logs_from_the_sdk_exporter(live_server: LiveServer, store: Store, key: str) -> None:
    from opentelemetry._logs import SeverityNumber
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

    provider = LoggerProvider(resource=RESOURCE)
    exporter = OTLPLogExporter(endpoint=live_server.url + "/v1/logs", headers=auth(key), timeout=10)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    logger = provider.get_logger("openclaw")
    logger.emit(
        body="tool exec failed",
        severity_number=SeverityNumber.ERROR,
        severity_text="ERROR",
        attributes={"openclaw.session.id": "sess-4", "event.name": "openclaw.tool.error"},
    )
    provider.shutdown()
    [o] = observations(store)
    assert (o["category"], o["name"], o["session_id"], o["is_error"]) == (
        "log",
        "openclaw.tool.error",
        "sess-4",
        True,
    )
    assert o["payload"]["body"] == "tool exec failed"


def test_auth_and_bad_bodies(live_server: LiveServer, make_key: Callable[..., str], key: str) -> None:
    url = live_server.url + "/v1/traces"
    proto = {"Content-Type": "application/x-protobuf"}
    assert httpx.post(url, content=b"", headers=proto).status_code == 401
    assert httpx.post(url, content=b"", headers={**proto, **auth(make_key("stats:read"))}).status_code == 403
    r = httpx.post(url, content=b"\xff\xff\xff", headers={**proto, **auth(key)})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    r = httpx.post(url, content=b"{}", headers={"Content-Type": "text/plain", **auth(key)})
    assert r.status_code == 415
    r = httpx.post(url, content=b"{nope", headers={"Content-Type": "application/json", **auth(key)})
    assert r.status_code == 400
    r = httpx.post(url, content=b"", headers={**proto, **auth(key)})  # an empty export is valid
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-protobuf"

"""Decode OTLP export requests (traces, metrics, logs; protobuf or JSON) into observations.

Mapping of OpenClaw's diagnostics-otel data (format doc §4.4, seed 000):
* spans `openclaw.model.usage` / `openclaw.model.call` / GenAI chat spans → category `llm` (tokens from
  `openclaw.tokens.*` or `gen_ai.usage.*`); `openclaw.tool.execution` / `execute_tool` → `tool`;
  `openclaw.run` / `openclaw.harness.run` → `run`; any other span → `span`;
* metric points → `metric` (value as sent, with its temporality: a cumulative counter's points are
  running totals); `openclaw.tokens` points also fill the token column of their `openclaw.token`
  type, `openclaw.cost.usd` the cost; `openclaw.session.state` → `session`;
* log records → `log`.
Identity attributes: agent `openclaw.agent.name` | `openclaw.agentId` | `openclaw.agent` |
`gen_ai.agent.name`; session `openclaw.session.id` | `openclaw.sessionId`; key `openclaw.sessionKey`.
OTLP/JSON encodes trace and span ids as hex, which protobuf's JSON mapping reads as base64: they are
converted before parsing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from clawscope.model import Observation
from clawscope.sources.coerce import as_float, as_int, as_str, preview
from clawscope.sources.nesting import too_deep

_ID_KEYS = ("traceId", "spanId", "parentSpanId")
_LLM_SPANS = ("openclaw.model.usage", "openclaw.model.call")
_LLM_OPS = ("chat", "text_completion", "generate_content")
_TOKEN_FIELD = {
    "input": "tokens_in",
    "output": "tokens_out",
    "cache_read": "cache_read",
    "cache_write": "cache_write",
    "total": "total_tokens",
}


MAX_OTLP_DEPTH = 128  # a span attribute nests about 12 levels down; array/kvlist values a few more


class OtlpError(ValueError):
    """The body is not an OTLP export request of the expected signal."""


def parse(body: bytes, message: Message, is_json: bool) -> None:
    if is_json and (why := too_deep(body, MAX_OTLP_DEPTH)) is not None:
        raise OtlpError(f"not an OTLP {type(message).__name__}: {why}")
    try:
        if is_json:
            data = msgspec.json.decode(body)
            json_format.ParseDict(_hex_ids_to_b64(data), message, ignore_unknown_fields=True)
        else:
            message.ParseFromString(body)
    except (
        DecodeError,
        msgspec.DecodeError,
        json_format.ParseError,
        ValueError,
        TypeError,
        RecursionError,
    ) as exc:
        raise OtlpError(f"not an OTLP {type(message).__name__}: {exc}") from None


def _hex_ids_to_b64(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in _ID_KEYS and isinstance(v, str) and v:
                try:
                    out[k] = base64.b64encode(bytes.fromhex(v)).decode()
                except ValueError:
                    raise OtlpError(f"{k} must be hex") from None
            else:
                out[k] = _hex_ids_to_b64(v)
        return out
    if isinstance(value, list):
        return [_hex_ids_to_b64(v) for v in value]
    return value


def any_value(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return attrs(v.kvlist_value.values)
    if which == "bytes_value":
        return v.bytes_value.hex()
    return getattr(v, which)


def attrs(kvs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: any_value(kv.value) for kv in kvs}


def _first(a: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if a.get(k) not in (None, ""):
            return a[k]
    return None


def _identity(a: dict[str, Any], instance: str | None) -> dict[str, Any]:
    return {
        "instance": as_str(_first(a, "host.name", "service.instance.id")) or instance,
        "agent": as_str(
            _first(a, "openclaw.agent.name", "openclaw.agentId", "openclaw.agent", "gen_ai.agent.name")
        ),
        "session_id": as_str(
            _first(a, "openclaw.session.id", "openclaw.sessionId", "gen_ai.conversation.id")
        ),
        "session_key": as_str(_first(a, "openclaw.sessionKey", "openclaw.session.key")),
        "run_id": as_str(_first(a, "openclaw.runId", "openclaw.run.id")),
    }


def _digest(*parts: Any) -> str:
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


def _capped(a: dict[str, Any]) -> dict[str, Any]:
    return {k: preview(v) for k, v in a.items()}


# -- traces -------------------------------------------------------------------------------------------


def decode_traces(body: bytes, is_json: bool, instance: str | None) -> list[Observation]:
    req = ExportTraceServiceRequest()
    parse(body, req, is_json)
    out = []
    for rs in req.resource_spans:
        res = attrs(rs.resource.attributes)
        for ss in rs.scope_spans:
            for span in ss.spans:
                out.append(_span(span, {**res, **attrs(span.attributes)}, res, instance))
    return out


def _span(span: Any, a: dict[str, Any], res: dict[str, Any], instance: str | None) -> Observation:
    op = a.get("gen_ai.operation.name")
    name = span.name
    if name in _LLM_SPANS or op in _LLM_OPS:
        category = "llm"
    elif name == "openclaw.tool.execution" or op == "execute_tool":
        category = "tool"
    elif name in ("openclaw.run", "openclaw.harness.run") or op == "invoke_agent":
        category = "run"
    else:
        category = "span"
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    return Observation(
        source="otlp",
        category=category,
        name=name,
        ts_ms=(end or start) // 1_000_000,
        dedupe=f"otlp:span:{span.trace_id.hex()}:{span.span_id.hex()}",
        duration_ms=(end - start) / 1e6 if end and start and end >= start else None,
        is_error=span.status.code == 2,  # STATUS_CODE_ERROR
        provider=as_str(_first(a, "openclaw.provider", "gen_ai.provider.name", "gen_ai.system")),
        model=as_str(_first(a, "openclaw.model", "gen_ai.response.model", "gen_ai.request.model")),
        tool_name=as_str(_first(a, "gen_ai.tool.name", "openclaw.toolName")) if category == "tool" else None,
        call_id=as_str(_first(a, "gen_ai.tool.call.id", "openclaw.toolCallId")),
        tokens_in=as_int(_first(a, "openclaw.tokens.input", "gen_ai.usage.input_tokens")),
        tokens_out=as_int(_first(a, "openclaw.tokens.output", "gen_ai.usage.output_tokens")),
        cache_read=as_int(_first(a, "openclaw.tokens.cache_read", "gen_ai.usage.cache_read_input_tokens")),
        cache_write=as_int(
            _first(a, "openclaw.tokens.cache_write", "gen_ai.usage.cache_creation_input_tokens")
        ),
        total_tokens=as_int(a.get("openclaw.tokens.total")),
        cost_usd=as_float(_first(a, "openclaw.cost.usd", "openclaw.costUsd")),
        payload={
            "traceId": span.trace_id.hex(),
            "spanId": span.span_id.hex(),
            "parentSpanId": span.parent_span_id.hex() or None,
            "status": {"code": span.status.code, "message": span.status.message or None},
            "sessionState": a.get("openclaw.session.state"),
            "service": res.get("service.name"),
            "attributes": _capped(attrs(span.attributes)),
        },
        **_identity(a, instance),
    )


# -- metrics ------------------------------------------------------------------------------------------


def decode_metrics(body: bytes, is_json: bool, instance: str | None) -> list[Observation]:
    req = ExportMetricsServiceRequest()
    parse(body, req, is_json)
    out = []
    for rm in req.resource_metrics:
        res = attrs(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                out.extend(_points(m, res, instance))
    return out


def _points(m: Any, res: dict[str, Any], instance: str | None) -> list[Observation]:
    which = m.WhichOneof("data")
    if which is None:
        return []
    data = getattr(m, which)
    meta: dict[str, Any] = {"kind": which, "unit": m.unit or None}
    if hasattr(data, "aggregation_temporality"):
        meta["temporality"] = "delta" if data.aggregation_temporality == 1 else "cumulative"
    if which == "sum":
        meta["monotonic"] = data.is_monotonic
    out = []
    for p in data.data_points:
        pa = attrs(p.attributes)
        a = {**res, **pa}
        value, extra = _point_value(which, p)
        o = Observation(
            source="otlp",
            category="session" if m.name == "openclaw.session.state" else "metric",
            name=m.name,
            ts_ms=p.time_unix_nano // 1_000_000,
            dedupe="otlp:metric:"
            + _digest(
                m.name, sorted(pa.items()), sorted(res.items()), p.start_time_unix_nano, p.time_unix_nano
            ),
            value=value,
            provider=as_str(_first(a, "openclaw.provider", "gen_ai.provider.name")),
            model=as_str(_first(a, "openclaw.model", "gen_ai.request.model")),
            payload={**meta, **extra, "attributes": _capped(pa), "service": res.get("service.name")},
            **_identity(a, instance),
        )
        if m.name == "openclaw.tokens" and value is not None:
            field = _TOKEN_FIELD.get(str(a.get("openclaw.token")))
            if field is not None:
                setattr(o, field, int(value))
        elif m.name == "openclaw.cost.usd":
            o.cost_usd = value
        if o.category == "session":
            o.payload["state"] = _first(a, "openclaw.session.state", "openclaw.state")
        out.append(o)
    return out


_VALUE: dict[str, Callable[[Any], tuple[float | None, dict[str, Any]]]] = {
    "sum": lambda p: (_number(p), {}),
    "gauge": lambda p: (_number(p), {}),
    "histogram": lambda p: (p.sum, {"count": p.count, "min": p.min, "max": p.max}),
    "exponential_histogram": lambda p: (p.sum, {"count": p.count}),
    "summary": lambda p: (p.sum, {"count": p.count}),
}


def _point_value(which: str, p: Any) -> tuple[float | None, dict[str, Any]]:
    return _VALUE.get(which, lambda _p: (None, {}))(p)


def _number(p: Any) -> float | None:
    which = p.WhichOneof("value")
    return None if which is None else float(getattr(p, which))


# -- logs ---------------------------------------------------------------------------------------------


def decode_logs(body: bytes, is_json: bool, instance: str | None) -> list[Observation]:
    req = ExportLogsServiceRequest()
    parse(body, req, is_json)
    out = []
    for rl in req.resource_logs:
        res = attrs(rl.resource.attributes)
        for sl in rl.scope_logs:
            for r in sl.log_records:
                la = attrs(r.attributes)
                a = {**res, **la}
                body_value = any_value(r.body)
                ts = r.time_unix_nano or r.observed_time_unix_nano
                out.append(
                    Observation(
                        source="otlp",
                        category="log",
                        name=as_str(_first(a, "event.name")) or "log",
                        ts_ms=ts // 1_000_000,
                        dedupe="otlp:log:" + _digest(r.SerializeToString().hex(), sorted(res.items())),
                        is_error=r.severity_number >= 17,  # ERROR and above
                        payload={
                            "severity": r.severity_text or r.severity_number,
                            "body": preview(body_value),
                            "traceId": r.trace_id.hex() or None,
                            "spanId": r.span_id.hex() or None,
                            "attributes": _capped(la),
                            "service": res.get("service.name"),
                        },
                        **_identity(a, instance),
                    )
                )
    return out

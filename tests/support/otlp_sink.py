"""A loopback OTLP/HTTP receiver for tests, decoding with `opentelemetry-proto` (not with clawscope's
own receiver): it keeps every request's spans and metrics, and can hold back its answer to the N-th
traces request until released (so a test can kill the exporter while a batch is in flight)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from clawscope.sources.otlp import attrs


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent: str
    name: str
    kind: int
    start: int
    end: int
    status: int
    attributes: tuple[tuple[str, Any], ...]
    resource: tuple[tuple[str, Any], ...]

    def attr(self) -> dict[str, Any]:
        return dict(self.attributes)


def _frozen(d: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in d.items()))


@dataclass
class Sink:
    batches: list[list[ReceivedSpan]] = field(default_factory=list)
    metrics: list[ExportMetricsServiceRequest] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    hold_at: int | None = None  # hold the answer to this traces request (1-based) until `release`
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def spans(self) -> list[ReceivedSpan]:
        return [s for b in self.batches for s in b]


def _decode(body: bytes) -> list[ReceivedSpan]:
    req = ExportTraceServiceRequest()
    req.ParseFromString(body)
    out = []
    for rs in req.resource_spans:
        res = _frozen(attrs(rs.resource.attributes))
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(
                    ReceivedSpan(
                        s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(), s.name, s.kind,
                        s.start_time_unix_nano, s.end_time_unix_nano, s.status.code,
                        _frozen(attrs(s.attributes)), res,
                    )
                )  # fmt: skip
    return out


class OtlpSink:
    """`with OtlpSink() as sink: … sink.url …`"""

    def __init__(self, hold_at: int | None = None) -> None:
        self.sink = Sink(hold_at=hold_at)
        sink = self.sink

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path == "/v1/traces":
                    spans = _decode(body)
                    with sink.lock:
                        sink.batches.append(spans)
                        sink.headers.append(dict(self.headers))
                        n = len(sink.batches)
                    if sink.hold_at == n:
                        sink.held.set()
                        sink.release.wait(60)
                        return  # no answer: the exporter was killed meanwhile
                    answer = ExportTraceServiceResponse().SerializeToString()
                elif self.path == "/v1/metrics":
                    req = ExportMetricsServiceRequest()
                    req.ParseFromString(body)
                    with sink.lock:
                        sink.metrics.append(req)
                    answer = ExportMetricsServiceResponse().SerializeToString()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Sink:
        self.thread.start()
        self.sink.url = self.url  # type: ignore[attr-defined]
        return self.sink

    def __exit__(self, *exc: object) -> None:
        self.sink.release.set()
        self.server.shutdown()
        self.server.server_close()

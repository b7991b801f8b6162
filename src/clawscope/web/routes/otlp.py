"""The OTLP/HTTP receiver: `POST /v1/traces`, `/v1/metrics`, `/v1/logs` (OpenClaw's diagnostics-otel).

Bodies are protobuf (`application/x-protobuf`, what OpenClaw sends) or OTLP/JSON
(`application/json`), optionally gzip-compressed; the answer is the signal's Export…ServiceResponse in
the request's encoding. Exporters authenticate with headers: `Authorization: Bearer <API key with
ingest:write>`. Decoded data is stored as observations (`store/observations.py`), apart from transcript
data. Per the OTLP spec, a malformed body is 400 and an unsupported media type 415.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from clawscope.model import Observation
from clawscope.sources import otlp
from clawscope.web.auth import Principal, require
from clawscope.web.body import read_body
from clawscope.web.errors import ApiError
from clawscope.web.state import StateDep

# Not in the OpenAPI spec: these routes follow the OTLP/HTTP specification (protobuf bodies and answers).
router = APIRouter(tags=["otlp"], include_in_schema=False)
Decoder = Callable[[bytes, bool, str | None], list[Observation]]
Writer = Annotated[Principal, Depends(require("ingest:write"))]


async def _export(request: Request, state: StateDep, decode: Decoder, response: Message) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/x-protobuf", "application/json"):
        raise ApiError(415, "send application/x-protobuf or application/json")
    is_json = ctype == "application/json"
    body = await read_body(request, state.settings.webhook_max_bytes)
    try:
        # parsing up to webhook_max_bytes of protobuf/JSON is CPU work: off the event loop
        found = await asyncio.to_thread(decode, body, is_json, state.settings.instance)
    except otlp.OtlpError as exc:
        raise ApiError(400, str(exc)) from None
    await asyncio.to_thread(state.store.observations.record, found)
    if is_json:
        return Response(json_format.MessageToJson(response), media_type="application/json")
    return Response(response.SerializeToString(), media_type="application/x-protobuf")


@router.post("/v1/traces", summary="OTLP/HTTP traces (protobuf or JSON)")
async def traces(request: Request, state: StateDep, _p: Writer) -> Response:
    return await _export(request, state, otlp.decode_traces, ExportTraceServiceResponse())


@router.post("/v1/metrics", summary="OTLP/HTTP metrics (protobuf or JSON)")
async def metrics(request: Request, state: StateDep, _p: Writer) -> Response:
    return await _export(request, state, otlp.decode_metrics, ExportMetricsServiceResponse())


@router.post("/v1/logs", summary="OTLP/HTTP logs (protobuf or JSON)")
async def logs(request: Request, state: StateDep, _p: Writer) -> Response:
    return await _export(request, state, otlp.decode_logs, ExportLogsServiceResponse())

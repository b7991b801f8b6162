"""`GET /metrics`: clawscope's metrics for Prometheus (text format; OpenMetrics on `Accept`), read from
the store so every server process gives the same numbers (see `exports.metrics`).

Who may scrape: anyone when auth is off (the server is then on loopback only); else an address in
`metrics_allow`, or a bearer API key (or token) with the scope `metrics:read` (or `admin`). The
dashboard's login cookie is not accepted here: a scraper is not a browser. Not in the OpenAPI spec: the
exposition formats are Prometheus's.
"""

from __future__ import annotations

import asyncio
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clawscope.exports.metrics import collect
from clawscope.exports.prometheus import render
from clawscope.web.auth import principal_of
from clawscope.web.errors import ApiError
from clawscope.web.state import AppState, StateDep

router = APIRouter(tags=["metrics"], include_in_schema=False)
SCOPE = "metrics:read"


def allowed_address(host: str | None, networks: tuple[str, ...]) -> bool:
    if not host or not networks:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(n, strict=False) for n in networks)


def authorize(request: Request, state: AppState) -> None:
    """Return when the caller may read the metrics; raise 401/403/429 otherwise."""
    if state.settings.no_auth:
        return
    if allowed_address(request.client.host if request.client else None, state.settings.metrics_allow):
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    principal = principal_of(request, state, token.strip() if scheme.lower() == "bearer" else None)
    if not principal.allows(SCOPE):
        raise ApiError(403, f"this key lacks the scope {SCOPE!r}", code="insufficient_scope", param=SCOPE)


@router.get("/metrics", summary="Prometheus metrics (text format, or OpenMetrics on request)")
async def metrics(request: Request, state: StateDep) -> Response:
    await run_in_threadpool(authorize, request, state)
    await run_in_threadpool(state.requests.flush, state.store)  # this process's counts, first
    families = await asyncio.to_thread(collect, state.store, state.settings.metrics_max_values)
    body, content_type = await asyncio.to_thread(render, families, request.headers.get("accept", ""))
    return Response(body, media_type=None, headers={"Content-Type": content_type})

"""The app factory: one FastAPI app serving the REST API, the SSE stream, the OTLP receiver and the
dashboard over one `Store`.

`create_app(settings)` is what `clawscope serve`, the tests and the benches use; `app_from_env()`
builds the same app from `CLAWSCOPE_*` variables for `uvicorn --factory` with several workers. The
app's services live in its typed state (`web/state.py`), built here and started and stopped by the
lifespan. Each API resource is one module of `routes/` with a `router`, mounted from `ROUTES` (a new
resource is a new module there, added to the tuple; routes never import each other).
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clawscope import __version__
from clawscope.config import Settings, load_settings
from clawscope.errors import UsageError
from clawscope.store import Store
from clawscope.web import access_log, errors
from clawscope.web.auth import current_principal
from clawscope.web.params import known_query
from clawscope.web.request_counts import CountRequests
from clawscope.web.responses import JSONResponse
from clawscope.web.routes import (
    alerts,
    audit,
    auth,
    findings,
    health,
    hooks,
    metrics,
    openclaw,
    otlp,
    sessions,
    stats,
    stream,
    webhook,
)
from clawscope.web.state import AppState

API_PREFIX = "/api/v1"
# The API's resources, mounted under API_PREFIX; OTLP/HTTP keeps the paths its spec fixes (/v1/traces, …)
# and Prometheus scrapes /metrics.
ROUTES = (health, auth, audit, stats, sessions, openclaw, webhook, stream, hooks, findings, alerts)
SPEC_ROUTES = (otlp, metrics)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings) -> None:
    """`--no-auth` only on a loopback address: anyone on the network could read everything otherwise."""
    if settings.no_auth and not is_loopback(settings.host):
        raise UsageError(f"--no-auth is refused on {settings.host}: bind to 127.0.0.1 or keep auth on")


DEFAULT_MAX_BODY = 1024 * 1024
# Routes that take large bodies and enforce their own (configurable) limits while reading.
_OWN_LIMITS = ("/api/v1/openclaw/webhook", "/api/v1/openclaw/events", "/v1/", "/api/v1/receipts/verify")


class DefaultBodyLimit:
    """Every other request body is capped at 1 MiB, so an unauthenticated `POST /login` or
    `/auth/token` cannot make the server buffer gigabytes (Starlette's own limit, applied per path)."""

    def __init__(self, app: ASGIApp, max_body_size: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.limited = RequestBodyLimitMiddleware(app, max_body_size=max_body_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith(_OWN_LIMITS):
            await self.limited(scope, receive, send)
            return
        await self.app(scope, receive, send)


class RateHeaders:
    """Copies the rate-limit headers the auth dependency computed onto the response (also errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get("rate_headers")
                if extra:
                    headers = list(message.get("headers", []))
                    present = {k.lower() for k, _ in headers}
                    for k, v in extra.items():
                        if k.lower().encode() not in present:
                            headers.append((k.lower().encode(), v.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings, *, store: Store | None = None) -> FastAPI:
    check_bind(settings)
    access_log.install()  # the one-time login token must never reach the access log
    own_store = store is None
    state = AppState.build(
        settings,
        store
        or Store(
            settings.db_url, secrets_key=settings.secrets_key, secrets_key_file=settings.secrets_key_path
        ),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()
            if own_store:
                state.store.close()

    app = FastAPI(
        title="clawscope",
        version=__version__,
        description="Cost, tokens, tools and sessions of OpenClaw agents.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    app.state.clawscope = state
    errors.install(app)
    for module in ROUTES:
        errors.document(module.router, current_principal)  # the error statuses each route can give
        app.include_router(module.router, prefix=API_PREFIX, dependencies=[Depends(known_query)])
    for module in SPEC_ROUTES:
        app.include_router(module.router)
    from clawscope.web import dashboard  # the pages under `/` (after the API, which owns /api/v1)

    dashboard.install(app)
    app.add_middleware(RateHeaders)
    app.add_middleware(CountRequests, counter=state.requests)
    app.add_middleware(DefaultBodyLimit)
    if settings.no_auth:
        # Without auth, only loopback names may reach the server: a web page that rebinds its own
        # domain to 127.0.0.1 (DNS rebinding) would otherwise read every transcript (as Jupyter guards).
        hosts = ["127.0.0.1", "localhost", "::1", "[::1]", settings.host]
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(dict.fromkeys(hosts)))
    app.add_middleware(errors.BodyLimitEnvelope)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"],
        )
    return app


def app_from_env() -> Any:
    """For `uvicorn --factory clawscope.web.app:app_from_env` (several worker processes)."""
    return create_app(load_settings())

"""The one error envelope of the API, `{"error": {"code", "message", "param", "type"}}` (seed 003).

Routes raise `ApiError` (or a library `ClawscopeError`); FastAPI's own 404/405/422 and anything
unexpected are translated here too, so no response leaves the server in another shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clawscope.errors import ClawscopeError, ConfigError, NotFoundError, StoreError, UsageError
from clawscope.web.responses import JSONResponse

log = logging.getLogger("clawscope.web")

_TYPES = {
    400: ("invalid_request", "invalid_request_error"),
    401: ("unauthorized", "authentication_error"),
    403: ("forbidden", "permission_error"),
    404: ("not_found", "invalid_request_error"),
    405: ("method_not_allowed", "invalid_request_error"),
    409: ("conflict", "invalid_request_error"),
    413: ("payload_too_large", "invalid_request_error"),
    415: ("unsupported_media_type", "invalid_request_error"),
    422: ("invalid_request", "validation_error"),
    429: ("rate_limited", "rate_limit_error"),
    500: ("internal_error", "api_error"),
    503: ("unavailable", "api_error"),
}


class ApiError(Exception):
    """An error response: status, stable `code`, human `message`, the offending `param`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        default_code, default_type = _TYPES.get(status, ("error", "api_error"))
        self.status = status
        self.message = message
        self.code = code or default_code
        self.param = param
        self.type = type or default_type
        self.headers = headers or {}


class ErrorBody(BaseModel):
    code: str
    message: str
    param: str | None
    type: str


class ErrorEnvelope(BaseModel):
    """What every error response is (documented in the OpenAPI spec for each route that can give it)."""

    error: ErrorBody


_DESCRIPTIONS = {
    400: "The request cannot be done as asked",
    401: "Missing, invalid, expired or revoked credentials",
    403: "The key lacks the scope (`param` names it)",
    404: "Not found",
    409: "Conflict",
    413: "Request too large",
    422: "A parameter or the body is invalid (`param` names it)",
    429: "Rate limit exceeded (wait `Retry-After` seconds)",
    503: "Unavailable (database, or a feature that is not configured)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the given error statuses, each as the envelope."""
    return {s: {"model": ErrorEnvelope, "description": _DESCRIPTIONS.get(s, "Error")} for s in statuses}


def _needs_auth(dependant: Dependant, auth_call: Any) -> bool:
    return any(d.call is auth_call or _needs_auth(d, auth_call) for d in dependant.dependencies)


def document(router: APIRouter, auth_call: Any) -> None:
    """Declare, on every route of an API router, the error responses the central machinery can give:
    422 (as the envelope, not FastAPI's default shape), 400 where there is a body (unparseable JSON)
    and, where the route authenticates, 401, 403 and 429. Call it before including the router.

    Routes declare their own extra statuses (404, 503, …); those they declare are kept as given.
    """
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        statuses = [422]
        if route.body_field is not None:
            statuses.append(400)
        if _needs_auth(route.dependant, auth_call):
            statuses += [401, 403, 429]
        for status, spec in error_responses(*statuses).items():
            if status not in route.responses and str(status) not in route.responses:
                route.responses[status] = spec


def envelope(code: str, message: str, param: str | None, type_: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "param": param, "type": type_}}


def error_response(err: ApiError) -> JSONResponse:
    return JSONResponse(
        envelope(err.code, err.message, err.param, err.type), status_code=err.status, headers=err.headers
    )


def _library_status(exc: ClawscopeError) -> int:
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, UsageError | ConfigError):
        return 400
    if isinstance(exc, StoreError):
        return 503
    return 500


def _param(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or None


class BodyLimitEnvelope:
    """Starlette's request-body limit (`max_body_size=` on a route) answers a plain-text 413 from
    inside the routing, past every exception handler: this rewrites that one response as the envelope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_envelope(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/plain"):
                    replaced = True
                    error = ApiError(413, "request body too large", param="body")
                    await error_response(error)(scope, receive, send)
                    return
            if replaced:
                return  # the plain-text body of the replaced response
            await send(message)

        await self.app(scope, receive, send_envelope)


def allowed_methods(request: Request) -> str:
    """The `Allow` header of a path: every method some route serves it with."""
    base = {k: request.scope[k] for k in ("type", "path", "root_path", "headers", "query_string")}
    methods = [
        method
        for method in ("DELETE", "GET", "PATCH", "POST", "PUT")
        if any(r.matches({**base, "method": method})[0] == Match.FULL for r in request.app.router.routes)
    ]
    return ", ".join(methods)


def install(app: FastAPI) -> None:
    """Register the handlers that make every error an envelope."""

    @app.exception_handler(ApiError)
    async def _api(_r: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(ClawscopeError)
    async def _lib(_r: Request, exc: ClawscopeError) -> JSONResponse:
        status = _library_status(exc)
        return error_response(ApiError(status, str(exc), code=exc.code if status != 500 else None))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only those of the first route matched
            headers["Allow"] = allowed_methods(request)
        return error_response(ApiError(exc.status_code, message, headers=headers))

    @app.exception_handler(RequestValidationError)
    async def _validation(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        param = _param(tuple(first.get("loc", ())))
        message = str(first.get("msg", "invalid request"))
        return error_response(ApiError(422, f"{param}: {message}" if param else message, param=param))

    @app.exception_handler(Exception)
    async def _unexpected(_r: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return error_response(ApiError(500, "internal error; the server log has the details"))

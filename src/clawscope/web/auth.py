"""Who is calling: API keys (`Authorization: Bearer cs_…`), short-lived JWTs made from them, or the
dashboard's session cookie; which scopes they hold; and their rate limit.

`require(scope)` is the one dependency routes use. Missing or bad credentials → 401, a missing scope
→ 403, too many requests → 429 with `Retry-After`; rate-limit headers go on every authenticated
response (the middleware in `app.py` copies them from the request state).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clawscope.errors import NotFoundError
from clawscope.store import SCOPES, ApiKey
from clawscope.web.errors import ApiError
from clawscope.web.state import AppState, app_state

TOKEN_TTL_S = 900
SESSION_COOKIE = "clawscope_session"
_ALG = "HS256"
_bearer = HTTPBearer(auto_error=False, description="An API key (`cs_…`) or a token from /auth/token")


@dataclass(frozen=True)
class Principal:
    key_id: str  # "" when auth is off
    scopes: tuple[str, ...]
    rate_limit: int | None  # None: unlimited (auth off)

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


ANONYMOUS = Principal("", SCOPES, None)


def _jwt_secret(state: AppState) -> str:
    return state.store.keys.server_secret("jwt")


def issue_token(
    state: AppState, key: ApiKey, ttl_s: int = TOKEN_TTL_S, scopes: tuple[str, ...] | None = None
) -> tuple[str, int]:
    """A JWT for `key`, carrying its scopes or the subset `scopes`."""
    now = int(time.time())
    granted = list(key.scopes if scopes is None else scopes)
    claims = {"sub": key.key_id, "scopes": granted, "iat": now, "exp": now + ttl_s, "typ": "access"}
    return jwt.encode(claims, _jwt_secret(state), algorithm=_ALG), ttl_s


def _from_jwt(state: AppState, token: str) -> Principal | None:
    try:
        claims = jwt.decode(token, _jwt_secret(state), algorithms=[_ALG], options={"require": ["exp", "sub"]})
    except jwt.PyJWTError:
        return None
    try:  # a revoked key's tokens die with it
        key = state.store.keys.get(str(claims["sub"]))
    except NotFoundError:
        return None
    if key.revoked_ms is not None:
        return None
    scopes = tuple(s for s in claims.get("scopes", []) if s in SCOPES and key.allows(s))
    return Principal(key.key_id, scopes, key.rate_limit)


def authenticate(state: AppState, token: str) -> Principal | None:
    if token.startswith("cs_"):
        key = state.store.keys.verify(token)
        return Principal(key.key_id, key.scopes, key.rate_limit) if key else None
    return _from_jwt(state, token)


def current_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    state = app_state(request)
    if state.settings.no_auth:
        return ANONYMOUS
    # The dashboard's cookie only on safe methods: a cross-site form cannot make a browser delete.
    cookie = request.cookies.get(SESSION_COOKIE) if request.method in ("GET", "HEAD") else None
    return principal_of(request, state, creds.credentials if creds else cookie)


def principal_of(request: Request, state: AppState, token: str | None) -> Principal:
    """The caller holding `token` (an API key or a JWT), rate-limited; 401 when there is none or it is
    bad, 429 over the key's limit."""
    if not token:
        raise ApiError(
            401,
            "missing credentials: send `Authorization: Bearer <api key or token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = authenticate(state, token)
    if principal is None:
        raise ApiError(
            401,
            "invalid, expired or revoked credentials",
            code="invalid_api_key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state.key_usage.note(principal.key_id, state.store.clock())  # written later, off this path
    if principal.rate_limit is not None:
        decision = state.limiter.hit(principal.key_id, principal.rate_limit)
        request.state.rate_headers = decision.headers()
        if not decision.allowed:
            raise ApiError(
                429,
                f"rate limit of {decision.limit} requests per minute exceeded",
                headers={**decision.headers(), "Retry-After": str(decision.retry_after_s)},
            )
    return principal


def require(scope: str) -> Callable[..., Principal]:
    """A dependency: the caller, who must hold `scope` (or `admin`)."""
    assert scope in SCOPES, scope

    def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.allows(scope):
            raise ApiError(403, f"this key lacks the scope {scope!r}", code="insufficient_scope", param=scope)
        return principal

    return dependency

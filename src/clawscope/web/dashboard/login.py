"""Signing in to the dashboard: a one-time login URL (as Jupyter prints one) or an API key on /login.

Both end in the `clawscope_session` cookie (HttpOnly, SameSite=Strict) holding a JWT that `auth.py`
already accepts as a bearer token. The one-time URL signs in as the internal dashboard key (read
scopes only), created once and reused; its one-time tokens live in memory and die with the server.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse

from clawscope.store import ApiKey
from clawscope.web.auth import SESSION_COOKIE, Principal, authenticate, issue_token
from clawscope.web.state import AppState

DASHBOARD_KEY_LABEL = "clawscope dashboard (internal)"
DASHBOARD_SCOPES = ("stats:read", "sessions:read", "audit:read", "alerts:read", "alerts:write")
SESSION_TTL_S = 12 * 3600


def dashboard_key(state: AppState) -> ApiKey:
    for key in state.store.keys.all():
        if key.label == DASHBOARD_KEY_LABEL and key.revoked_ms is None:
            return key
    _, key = state.store.keys.create(DASHBOARD_KEY_LABEL, DASHBOARD_SCOPES, rate_limit=100_000)
    return key


def one_time_token(state: AppState) -> str:
    """A fresh single-use login token (kept in memory) for the URL `serve` prints."""
    return state.logins.issue()


def redeem(state: AppState, token: str) -> bool:
    """Consume a one-time token (constant-time comparison); True when it was valid."""
    return state.logins.redeem(token)


def signed_in(request: Request, state: AppState) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    principal = authenticate(state, token)
    if principal is None or not principal.allows("stats:read"):
        return None
    return principal


def with_session(response: RedirectResponse, state: AppState, key: ApiKey, secure: bool) -> RedirectResponse:
    # The cookie carries read scopes only, whatever the key could do: a browser session must not be
    # able to delete sessions or register agents (and auth.py accepts cookies on GET requests only).
    scopes = tuple(s for s in DASHBOARD_SCOPES if key.allows(s))
    token, ttl = issue_token(state, key, ttl_s=SESSION_TTL_S, scopes=scopes)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=secure, path="/"
    )
    return response


def safe_next(value: Any) -> str:
    """Only local paths: a login link must not redirect elsewhere."""
    text = str(value or "/")
    return text if text.startswith("/") and not text.startswith("//") else "/"

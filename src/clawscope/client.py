"""A typed Python client of the clawscope REST API (`/api/v1`), for scripts, notebooks and other services.

`Client(base_url, api_key)` sends the key as a Bearer token (or, after `exchange_token()`, a short-lived
JWT made from it). Requests answered 429 or 5xx, and connections refused, are retried a bounded number
of times (`clawscope.retry`): after the server's `Retry-After` when it gives one, otherwise after an
exponential backoff with full jitter, so many clients hitting one limit do not retry in lockstep.
Every error response becomes a `ClientError` carrying the API's error envelope (status, code, message,
param, type).

This module talks HTTP only: it imports nothing of the server (store, web, ingest), so it can be
vendored or used against a remote clawscope.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypedDict

import httpx

from clawscope.retry import RETRY_STATUSES, Retrying, RetryPolicy
from clawscope.retry import retry_after_s as parse_retry_after

__all__ = ["RETRY_STATUSES", "Client", "ClientError", "Json", "parse_retry_after"]

Json = dict[str, Any]


class ClientError(Exception):
    """An error response of the API (or no response at all: `status` 0, `code` "connection_error")."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        type: str | None = None,
        headers: Mapping[str, str] | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{status} {code}: {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.type = type
        self.headers = dict(headers or {})
        self.attempts = attempts

    @property
    def retry_after_s(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class Token(TypedDict):
    access_token: str
    token_type: str
    expires_in: int
    scopes: list[str]


def _error_from(response: httpx.Response, attempts: int) -> ClientError:
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    headers = {k.lower(): v for k, v in response.headers.items()}
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return ClientError(
            response.status_code,
            error["code"],
            str(error.get("message", "")),
            param=error.get("param"),
            type=error.get("type"),
            headers=headers,
            attempts=attempts,
        )
    text = response.text.strip()[:200] or response.reason_phrase
    return ClientError(
        response.status_code, f"http_{response.status_code}", text, headers=headers, attempts=attempts
    )


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as the API spells them."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


class Client:
    """The clawscope API. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 30.0,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        max_delay_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        root = base_url.rstrip("/")
        self.base_url = root if root.endswith("/api/v1") else root + "/api/v1"
        self.api_key = api_key
        self.retry = RetryPolicy(
            attempts=max_attempts, backoff_s=backoff_s, max_delay_s=max_delay_s, jitter=jitter, sleep=sleep
        )
        self._bearer = api_key
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport ----------------------------------------------------------------------------------

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> Any:
        """One API call with retries; the decoded JSON body, or `ClientError`.

        When a token from `exchange_token()` is refused (expired), a new one is fetched once.
        """
        url = "/" + path.lstrip("/")
        try:
            return self._send(method, url, params, json)
        except ClientError as err:
            expired = err.status == 401 and self.api_key and self._bearer not in (None, self.api_key)
            if not expired or url == "/auth/token":
                raise
        self.exchange_token()
        return self._send(method, url, params, json)

    def _send(self, method: str, url: str, params: Mapping[str, Any] | None, json: Any) -> Any:
        headers = {"Accept": "application/json"}
        if self._bearer:
            headers["Authorization"] = f"Bearer {self._bearer}"
        # only transport failures where the request surely did not reach the server are retried
        retrying = Retrying(self.retry)
        try:
            response = retrying.send(
                lambda: self._http.request(method, url, params=params, json=json, headers=headers)
            )
        except httpx.TransportError as exc:
            raise ClientError(
                0, "connection_error", str(exc) or type(exc).__name__, attempts=retrying.attempts
            ) from exc
        if response.is_success:
            return response.json() if response.content else None
        raise _error_from(response, retrying.attempts)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=_params(**params))

    def post(self, path: str, json: Any = None, **params: Any) -> Any:
        return self.request("POST", path, params=_params(**params), json=json)

    def delete(self, path: str, **params: Any) -> Any:
        return self.request("DELETE", path, params=_params(**params))

    # -- health and auth ----------------------------------------------------------------------------

    def health(self) -> Json:
        """`GET /health`: status, version, uptime, db, ingest freshness (no auth needed)."""
        out: Json = self.get("/health")
        return out

    def exchange_token(self, *, use: bool = True) -> Token:
        """`POST /auth/token`: a short-lived JWT for the API key; `use` sends it instead of the key."""
        if not self.api_key:
            raise ValueError("exchange_token needs the client's api_key")
        token: Token = self.post("/auth/token", {"api_key": self.api_key})
        if use:
            self._bearer = token["access_token"]
        return token

    # -- stats --------------------------------------------------------------------------------------

    def _stats(self, path: str, from_: str | None, to: str | None, **more: Any) -> Json:
        out: Json = self.get(path, **{"from": from_, "to": to}, **more)
        return out

    def stats(
        self,
        from_: str | None = None,
        to: str | None = None,
        *,
        agent: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
    ) -> Json:
        """`GET /stats`: `{period, totals, byDay}` (times as ISO dates or relative like `7d`)."""
        return self._stats("/stats", from_, to, agent=agent, kind=kind, channel=channel)

    def stats_by(
        self, dimension: str, from_: str | None = None, to: str | None = None, **filters: Any
    ) -> Json:
        """`GET /stats/{dimension}`: models, providers, agents, kinds, triggers, channels, days, …"""
        return self._stats(f"/stats/{dimension}", from_, to, **filters)

    def stats_models(self, from_: str | None = None, to: str | None = None, **filters: Any) -> Json:
        return self.stats_by("models", from_, to, **filters)

    def stats_agents(self, from_: str | None = None, to: str | None = None, **filters: Any) -> Json:
        return self.stats_by("agents", from_, to, **filters)

    def stats_kinds(self, from_: str | None = None, to: str | None = None, **filters: Any) -> Json:
        return self.stats_by("kinds", from_, to, **filters)

    def stats_channels(self, from_: str | None = None, to: str | None = None, **filters: Any) -> Json:
        return self.stats_by("channels", from_, to, **filters)

    def stats_tools(
        self, from_: str | None = None, to: str | None = None, *, top: int | None = None, **filters: Any
    ) -> Json:
        return self.stats_by("tools", from_, to, top=top, **filters)

    def stats_forecast(self, *, at: str | None = None, **filters: Any) -> Json:
        """`GET /stats/forecast`: month-end cost forecast with its method and interval."""
        out: Json = self.get("/stats/forecast", at=at, **filters)
        return out

    def stats_compare(self, from_: str | None = None, to: str | None = None, **filters: Any) -> Json:
        """`GET /stats/compare`: this period against the one before it, with deltas."""
        return self.stats_by("compare", from_, to, **filters)

    # -- sessions -----------------------------------------------------------------------------------

    def sessions(
        self,
        *,
        agent: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        model: str | None = None,
        from_: str | None = None,
        to: str | None = None,
        min_cost: float | None = None,
        has_errors: bool | None = None,
        sort: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> Json:
        """`GET /sessions`: one page `{sessions, nextCursor}`."""
        out: Json = self.get(
            "/sessions",
            agent=agent,
            kind=kind,
            channel=channel,
            model=model,
            **{"from": from_, "to": to, "minCost": min_cost, "hasErrors": has_errors},
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        return out

    def iter_sessions(self, **filters: Any) -> Iterator[Json]:
        """Every session matching the filters, following `nextCursor` page by page."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.sessions(**filters, cursor=cursor)
            yield from page.get("sessions", [])
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def session(self, session_id: str) -> Json:
        out: Json = self.get(f"/sessions/{_segment(session_id)}")
        return out

    def history(self, session_id: str, *, limit: int | None = None, offset: int | None = None) -> Json:
        """`GET /sessions/{id}/history`: entries in order, with their tool calls joined."""
        out: Json = self.get(f"/sessions/{_segment(session_id)}/history", limit=limit, offset=offset)
        return out

    def tree(self, session_id: str) -> Json:
        """`GET /sessions/{id}/tree`: the spawn tree with rolled-up cost."""
        out: Json = self.get(f"/sessions/{_segment(session_id)}/tree")
        return out

    def delete_session(self, session_id: str) -> Json | None:
        """`DELETE /sessions/{id}`: removes the session from clawscope (never from OpenClaw)."""
        out: Json | None = self.delete(f"/sessions/{_segment(session_id)}")
        return out

    # -- audit --------------------------------------------------------------------------------------

    def session_receipts(self, session: str) -> Json:
        out: Json = self.get(f"/sessions/{_segment(session)}/receipts")
        return out

    def verify_receipts(
        self,
        items: list[str | Json],
        *,
        public_key: Json | None = None,
        allow_unanchored: bool = False,
    ) -> Json:
        """`POST /receipts/verify`: items are receipt or spool texts, or
        `{name?, content, checkpoint?, workflow?}` (a spool with its signed head and session)."""
        body = {
            "items": [{"content": i} if isinstance(i, str) else i for i in items],
            "public_key": public_key,
            "allow_unanchored": allow_unanchored,
        }
        out: Json = self.post("/receipts/verify", body)
        return out

    def receipt_keys(self) -> Json:
        out: Json = self.get("/receipts/keys")
        return out

    def checkpoint(self) -> Json:
        out: Json = self.get("/receipts/checkpoint")
        return out

    def inclusion_proof(self, rid: str) -> Json:
        out: Json = self.get(f"/receipts/{_segment(rid)}/proof")
        return out

    def consistency_proof(self, from_size: int, to_size: int | None = None) -> Json:
        out: Json = self.get("/receipts/consistency", **{"from": from_size, "to": to_size})
        return out

    def consistency_from(self, checkpoint: str) -> Json:
        """Consistency proof from a checkpoint note you kept to the latest one."""
        out: Json = self.post("/receipts/consistency", {"checkpoint": checkpoint})
        return out


def _segment(value: str) -> str:
    """A path segment, percent-encoded (session keys hold `:`; ids could hold `/`)."""
    from urllib.parse import quote

    return quote(value, safe=":@")

"""Counting the requests of the ingestion endpoints (session webhook, OpenClaw event webhooks, OTLP) by
outcome, for `clawscope_received_requests_total`.

An ASGI middleware reads each response's status; counts gather in this process and are added to the
store every few seconds (and before every scrape of this process), so every process's `/metrics` shows
the same totals, which survive restarts. Only the few paths below are counted: the label values stay
bounded whatever is requested.
"""

from __future__ import annotations

import threading
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clawscope.exports.metrics import REQUEST_ENDPOINTS
from clawscope.store import Store

ENDPOINTS = REQUEST_ENDPOINTS


def outcome(status: int) -> str:
    if 200 <= status < 300:
        return "accepted"
    return {
        401: "unauthorized",
        403: "unauthorized",
        409: "replayed",
        413: "too_large",
        429: "rate_limited",
    }.get(status, "error" if status >= 500 else "invalid")


class RequestCounter:
    """Counts of this process not yet added to the store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter[tuple[str, str]] = Counter()

    def add(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._pending[(endpoint, outcome(status))] += 1

    def flush(self, store: Store) -> None:
        """Add the pending counts to the store (kept for the next flush if the store fails)."""
        with self._lock:
            taken, self._pending = self._pending, Counter()
        if not taken:
            return
        try:
            store.metrics.count_requests(taken)
        except BaseException:
            with self._lock:
                self._pending.update(taken)
            raise


class CountRequests:
    """The middleware: counts each answered request to one of `ENDPOINTS` (POST only)."""

    def __init__(self, app: ASGIApp, counter: RequestCounter) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = ENDPOINTS.get(str(scope.get("path", ""))) if scope["type"] == "http" else None
        if endpoint is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.counter.add(endpoint, status)

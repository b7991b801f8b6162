"""Per-key request limits: a fixed one-minute window.

Fixed windows give the `X-RateLimit-Reset` the OpenClaw API guide describes (the epoch second the
window ends). The app counts in the database (`Store.rate_limits`), so the limit holds across
worker processes and replicas; should the database fail to count, this process counts alone until it
can again (a limit that degrades, not requests that fail).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from clawscope.errors import StoreError

log = logging.getLogger("clawscope.web")
LEASE_MAX = 64  # requests counted in one database write, at most
LEASE_SHARE = 64  # a lease is at most this share of what the window has left


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch_s: int

    @property
    def retry_after_s(self) -> int:
        return max(1, self.reset_epoch_s - int(time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_epoch_s),
        }


@dataclass
class _Lease:
    """Request numbers of one key and window this process counted in the database ahead of use."""

    window_ms: int
    next: int
    last: int


class RateLimiter:
    """`shared(key, window start ms) -> count` counts in the database; without it, in this process.

    With `take(key, window start ms, n) -> count` as well, a process counts up to `LEASE_MAX` requests
    in one write and numbers them itself: a request is allowed when its number is within the limit, so the
    limit holds exactly across processes (never more allowed); a lease is at most 1/`LEASE_SHARE` of what
    the window has left (one request at a time near the limit), so numbers leased but unused when the
    window ends (a request refused a little early elsewhere) stay a small share."""

    def __init__(
        self,
        window_s: int = 60,
        shared: Callable[[str, int], int] | None = None,
        take: Callable[[str, int, int], int] | None = None,
    ) -> None:
        self._window_s = window_s
        self._shared = shared
        self._take = take
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window start, count)
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()
        self._lease_lock = threading.Lock()

    def _number(self, key: str, window_ms: int, limit: int) -> int:
        """This request's number in the key's window (its count, as `shared` would return it)."""
        if self._take is None:
            assert self._shared is not None
            return self._shared(key, window_ms)
        with self._lease_lock:  # (a refill's write waits here; it is one request in up to LEASE_MAX)
            lease = self._leases.get(key)
            if lease is not None and lease.window_ms == window_ms and lease.next <= lease.last:
                lease.next += 1
                return lease.next - 1
            n = 1
            if lease is not None and lease.window_ms == window_ms:
                n = max(1, min(LEASE_MAX, (limit - lease.last) // LEASE_SHARE))
            total = self._take(key, window_ms, n)
            self._leases[key] = _Lease(window_ms, total - n + 2, total)
            return total - n + 1

    def hit(self, key: str, limit: int, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        start = int(now) - int(now) % self._window_s
        if self._shared is not None or self._take is not None:
            try:
                count = self._number(key, start * 1000, limit)
            except StoreError as exc:
                log.warning("rate limit counted in this process only: %s", exc)
            else:
                return Decision(count <= limit, limit, max(0, limit - count), start + self._window_s)
        with self._lock:
            window, count = self._counts.get(key, (start, 0))
            if window != start:
                window, count = start, 0
            allowed = count < limit
            if allowed:
                count += 1
            self._counts[key] = (window, count)
        return Decision(allowed, limit, max(0, limit - count), window + self._window_s)

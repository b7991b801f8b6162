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


class RateLimiter:
    """`shared(key, window start ms) -> count` counts in the database; without it, in this process."""

    def __init__(self, window_s: int = 60, shared: Callable[[str, int], int] | None = None) -> None:
        self._window_s = window_s
        self._shared = shared
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window start, count)
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        start = int(now) - int(now) % self._window_s
        if self._shared is not None:
            try:
                count = self._shared(key, start * 1000)
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

"""Per-key request limits: a fixed one-minute window, counted in this process.

Fixed windows give the `X-RateLimit-Reset` the OpenClaw API guide describes (the epoch second the
window ends). With several server replicas each counts its own requests, so a client may get up to
N × limit; a shared counter is noted as follow-up work.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


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
    def __init__(self, window_s: int = 60) -> None:
        self._window_s = window_s
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window start, count)
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        start = int(now) - int(now) % self._window_s
        with self._lock:
            window, count = self._counts.get(key, (start, 0))
            if window != start:
                window, count = start, 0
            allowed = count < limit
            if allowed:
                count += 1
            self._counts[key] = (window, count)
        return Decision(allowed, limit, max(0, limit - count), window + self._window_s)

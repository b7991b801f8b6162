"""Retrying an HTTP request: the one retry helper, used by the API client and by `clawscope sync`.

A request answered with a retryable status (429, 5xx) or failing with a retryable transport error is
sent again, a bounded number of times: after the server's `Retry-After` when it gives one (seconds or
an HTTP date), otherwise after an exponential backoff (`backoff_s`, doubled each attempt, capped at
`max_delay_s`), with full jitter when a jitter source is given, so that many clients hitting one limit
do not retry in lockstep. The request is built anew for each attempt (a signed request gets a fresh
timestamp and nonce).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date); None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.replace(".", "", 1).isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. `retry_after_cap_s`: a longer `Retry-After` is waited for only that
    long; None: a `Retry-After` longer than `max_delay_s` ends the retries (the answer is returned)."""

    attempts: int = 4
    backoff_s: float = 0.5
    max_delay_s: float = 60.0
    statuses: frozenset[int] = RETRY_STATUSES
    transport_errors: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)
    retry_after_cap_s: float | None = None
    jitter: Callable[[], float] | None = None  # e.g. random.random: full jitter
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (1-based) when the server says nothing."""
        cap = min(self.max_delay_s, self.backoff_s * 2.0 ** (attempt - 1))
        return cap * self.jitter() if self.jitter is not None else cap

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before sending again, or None to stop here."""
        if response.status_code not in self.statuses or attempt >= self.attempts:
            return None
        after = retry_after_s(response.headers.get("retry-after"))
        if after is None:
            return self.backoff(attempt)
        if self.retry_after_cap_s is not None:
            return min(after, self.retry_after_cap_s)
        if after > self.max_delay_s:
            return None  # the server asks for longer than we may wait: report it instead
        return after + (min(1.0, self.backoff_s) * self.jitter() if self.jitter is not None else 0.0)


class Retrying:
    """Sends one request under a policy; `attempts` says how many were made."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.attempts = 0

    def send(self, request: Callable[[], httpx.Response]) -> httpx.Response:
        """The last answer (success, a status not retried, or the last attempt's); the last transport
        error is raised when every attempt failed to get one."""
        p = self.policy
        for attempt in range(1, p.attempts + 1):
            self.attempts = attempt
            try:
                response = request()
            except p.transport_errors:
                if attempt == p.attempts:
                    raise
                p.sleep(p.backoff(attempt))
                continue
            delay = p.delay(response, attempt)
            if delay is None:
                return response
            p.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

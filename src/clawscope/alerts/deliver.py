"""The outbox's delivery: claim due rows, send each to its channel, record the attempt, retry with backoff.

At-least-once with a stable id: a row is claimed (with a lease) in the database before it is sent and
marked sent after the receiver accepted it; a process that dies in between leaves the lease to run out,
and the row is claimed again and sent with the same delivery id, which receivers use to drop the
duplicate. A failure is retried later, not now: the next attempt is due after the backoff of
`clawscope.retry` (or the receiver's `Retry-After`), so a slow or failing channel holds up neither
ingest nor the other channels. A 4xx other than 408/429 is a configuration mistake and not retried.
Every attempt is stored with its status, error and latency. A rule's `abort_session` action is one
more row (channel id `gateway.ABORT`), sent to the session's OpenClaw gateway the same way.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
import uuid
from collections.abc import Callable

import httpx

from clawscope.alerts.channels import ChannelError, send
from clawscope.alerts.gateway import ABORT, GatewayError, abort_session
from clawscope.retry import RetryPolicy
from clawscope.store import Claim, Store

log = logging.getLogger("clawscope.alerts")
DEFAULT_POLICY = RetryPolicy(
    attempts=8, backoff_s=5.0, max_delay_s=3600.0, statuses=frozenset({408, 425, 429, 500, 502, 503, 504})
)
LEASE_MS = 60_000


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Deliverer:
    """Sends what the outbox holds, from this process (`worker` names it in the attempts)."""

    def __init__(
        self,
        store: Store,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        timeout_s: float = 10.0,
        lease_ms: int = LEASE_MS,
        worker: str | None = None,
        http: httpx.Client | None = None,
        wall_s: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self.timeout_s = timeout_s
        self.lease_ms = lease_ms
        self.worker = worker or worker_id()
        self.http = http or httpx.Client(follow_redirects=False)
        self.wall_s = wall_s  # the webhook-timestamp receivers check against their own clock
        self.before_send: Callable[[Claim], None] | None = None  # for tests: a crash between claim and send

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Deliverer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_once(self, limit: int = 20) -> int:
        """Claim up to `limit` due rows and send them; how many were claimed."""
        claims = self.store.alert_outbox.claim(self.worker, limit, self.lease_ms)
        for claim in claims:
            self._one(claim)
        return len(claims)

    def drain(self, limit: int = 20, rounds: int = 100) -> int:
        """Send until nothing is due now (bounded); how many rows were claimed."""
        total = 0
        for _ in range(rounds):
            n = self.run_once(limit)
            total += n
            if n == 0:
                break
        return total

    def _one(self, claim: Claim) -> None:
        ch = self.store.alert_rules.channel(claim.channel_id)
        started = time.perf_counter()
        status: int | None = None
        error: str | None = None
        retry_at: int | None = None
        ok = False
        try:
            if self.before_send is not None:
                self.before_send(claim)
            if claim.channel_id == ABORT:  # the rule's action: stop the session at its gateway
                done = abort_session(self.store, claim.alert, self.timeout_s)
                log.warning(
                    "alert %s (rule %s, %s) aborted session %s through the %s",
                    claim.alert.alert_id, claim.alert.rule_id, claim.alert.scope, done["sessionKey"],
                    done["from"],
                )  # fmt: skip
                ok = True
            else:
                if ch is None:
                    raise ChannelError("the channel was removed")
                secret = self.store.alert_rules.channel_secret(ch.channel_id)
                if ch.has_secret and secret is None:  # never sent unsigned or without its token instead
                    raise ChannelError("the channel's secret cannot be opened with this server's secrets key")
                sent = send(
                    self.http, ch, secret, claim.alert, claim.delivery_id, self.wall_s(), self.timeout_s
                )
                status = sent.status
                if sent.response is None or sent.response.is_success:
                    ok = True
                else:
                    error = f"HTTP {sent.response.status_code}: {sent.response.text[:200]}"
                    delay = self.policy.delay(sent.response, claim.attempt)
                    if delay is not None:
                        retry_at = self.store.clock() + int(delay * 1000)
        except ChannelError as exc:
            error = str(exc)
        except (GatewayError, httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
            # a gateway that is restarting, a receiver that is down: retried after the backoff
            error = str(exc) if isinstance(exc, GatewayError) else f"{exc.__class__.__name__}: {exc}"
            if claim.attempt < self.policy.attempts:
                retry_at = self.store.clock() + int(self.policy.backoff(claim.attempt) * 1000)
        except Exception as exc:  # anything else (a header that cannot be encoded, a bad secret) fails
            # this delivery for good and is recorded: never a row re-claimed forever
            error = f"{exc.__class__.__name__}: {exc}"
            log.exception("alert delivery %s failed unexpectedly", claim.delivery_id)
        latency_ms = (time.perf_counter() - started) * 1000
        if not ok:
            log.warning("alert delivery %s failed (attempt %d): %s", claim.delivery_id, claim.attempt, error)
        self.store.alert_outbox.finish(claim, self.worker, ok, latency_ms, status, error, retry_at)

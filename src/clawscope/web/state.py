"""What a running app holds, typed: its settings, its store and the services routes share, built once
by `create_app` (`AppState.build`) and started and stopped by the app's lifespan; and the
request-scoped accessor routes declare (`state: StateDep`).

A new service is a field here, built in `build()`, started in `start()` when something must run from
the start (otherwise on first use), and stopped in `stop()`. Routes read it as `state.<field>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from clawscope.config import Settings
from clawscope.ingest.group import GroupCommit
from clawscope.store import Store
from clawscope.timeutil import now_ms as wall_ms
from clawscope.web import live_detect
from clawscope.web.bus import EventBus
from clawscope.web.key_usage import KeyUsage
from clawscope.web.login_tokens import LoginTokens
from clawscope.web.ratelimit import RateLimiter
from clawscope.web.request_counts import RequestCounter

if TYPE_CHECKING:
    from clawscope.alerts.service import AlertService
    from clawscope.exports.otlp import Background
    from clawscope.web.live_ingest import LiveIngest

DAY_MS = 86_400_000
REQUEST_FLUSH_S = 2.0  # how often this process adds its request counts to the store
RATE_PRUNE_MS = 300_000  # rate-limit windows older than this are pruned, at most this often
RETENTION_EVERY_S = 3600.0  # transcript retention (`transcript_retention_days`): a prune this often
log = logging.getLogger("clawscope.web")


@dataclass
class Serving:
    """What `clawscope serve` shows, said on every page: a generated demo, no OpenClaw state found (the
    database as it is), the state dirs it follows."""

    demo: bool = False
    no_state: bool = False
    state_dirs: list[str] = field(default_factory=list)


@dataclass
class IngestStatus:
    """Live ingest's last pass (health reports it) and who hears of each pass's report."""

    last_ms: int | None = None
    last_error: str | None = None
    last_failed_ms: int | None = None  # when the last pass failed (None: it did not)
    passes: int = 0  # passes that completed
    started_ms: int = field(default_factory=wall_ms)  # problems first seen since then are "new"
    after: list[Callable[[Any], None]] = field(default_factory=list)


@dataclass
class AppState:
    settings: Settings
    store: Store
    bus: EventBus  # the SSE fan-out; follows the event log from its first subscriber
    webhooks: GroupCommit  # group commit of pushed sessions; its thread starts on the first write
    limiter: RateLimiter = field(default_factory=RateLimiter)  # per API key, shared in the database
    logins: LoginTokens = field(default_factory=LoginTokens)  # one-time dashboard login links
    serving: Serving = field(default_factory=Serving)
    ingest: IngestStatus = field(default_factory=IngestStatus)
    live: LiveIngest | None = None  # `serve`'s live ingest of the state dirs, when it follows any
    otlp: Background | None = None  # `serve`'s OTLP export, when an endpoint is configured
    alerts: AlertService | None = None  # `serve`'s alert evaluation and delivery
    detecting: live_detect.Detecting | None = None  # live detection (None when `detect_live` is off)
    nonces_pruned_s: float = 0.0  # when webhook nonces were last pruned (at most once a minute)
    started: float = field(default_factory=time.monotonic)
    requests: RequestCounter = field(default_factory=RequestCounter)  # ingestion requests, to the store
    background: list[asyncio.Task[None]] = field(default_factory=list)
    rate_windows_pruned_ms: int = 0
    key_usage: KeyUsage = field(default_factory=KeyUsage)  # API keys' last use, written by _flush_requests

    @classmethod
    def build(cls, settings: Settings, store: Store) -> AppState:
        bus = EventBus(
            store.events,
            poll_s=settings.stream_poll_ms / 1000,
            retention_ms=settings.events_retention_days * DAY_MS,
            clock=store.clock,
        )
        # one count per key across processes, in leases of requests (one write for up to LEASE_MAX)
        limiter = RateLimiter(shared=store.rate_limits.hit, take=store.rate_limits.take)
        state = cls(settings, store, bus, GroupCommit(store, estimate=settings.price_estimates), limiter)
        state.detecting = live_detect.install(state)  # detection after each ingest pass / webhook commit
        return state

    async def start(self) -> None:
        if self.live is not None:
            self.live.start()
        if self.otlp is not None:
            self.otlp.start()
        if self.alerts is not None:
            self.ingest.after.append(self.alerts.notify)
            self.alerts.start()
        self.background.append(asyncio.create_task(self._flush_requests()))
        if self.settings.transcript_retention_days > 0:
            self.background.append(asyncio.create_task(self._retention()))

    async def _retention(self) -> None:
        """Prune old transcript text now and then every RETENTION_EVERY_S; vacuum when it is worth it
        (SQLite rewrites the whole file: only once enough of it is free)."""
        while True:
            try:
                await run_in_threadpool(self.prune_transcripts)
            except Exception as exc:  # the database may be briefly unavailable: the next run retries
                log.warning("transcript retention failed: %s", exc.__class__.__name__)
            await asyncio.sleep(RETENTION_EVERY_S)

    def prune_transcripts(self) -> None:
        days = self.settings.transcript_retention_days
        report = self.store.retention.run(days, vacuum="if-worth")
        if report.sessions:
            log.info(
                "retention (%d days): pruned the text of %d sessions (%d entries, %d bytes)%s",
                days, len(report.sessions), report.entries, report.text_bytes,
                ", vacuumed" if report.vacuumed else "",
            )  # fmt: skip

    async def _flush_requests(self) -> None:
        while True:
            await asyncio.sleep(REQUEST_FLUSH_S)
            try:
                await run_in_threadpool(self.requests.flush, self.store)
                await run_in_threadpool(self.key_usage.flush, self.store)
                await run_in_threadpool(self._prune_rate_windows)
            except Exception as exc:  # the database may be briefly unavailable: the counts wait
                log.warning("could not store request counts: %s", exc.__class__.__name__)

    def _prune_rate_windows(self) -> None:
        now = self.store.clock()
        if now - self.rate_windows_pruned_ms >= RATE_PRUNE_MS:
            self.rate_windows_pruned_ms = now
            self.store.rate_limits.prune(wall_ms() - RATE_PRUNE_MS)  # windows follow the wall clock

    async def stop(self) -> None:
        for task in self.background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.background.clear()
        with contextlib.suppress(Exception):
            await run_in_threadpool(self.requests.flush, self.store)
        with contextlib.suppress(Exception):
            await run_in_threadpool(self.key_usage.flush, self.store)
        if self.live is not None:
            await run_in_threadpool(self.live.stop)
        if self.otlp is not None:
            await run_in_threadpool(self.otlp.stop)
        if self.alerts is not None:
            await run_in_threadpool(self.alerts.stop)
        await self.bus.stop()
        await run_in_threadpool(self.webhooks.close)
        if self.detecting is not None:
            await run_in_threadpool(self.detecting.stop)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.clawscope
    return state


async def _state_dependency(request: Request) -> AppState:
    """`app_state` as a dependency: async, so FastAPI does not run it in the thread pool (a thread hop
    on every request of every route, for one attribute read)."""
    return app_state(request)


# What routes declare: `state: StateDep`.
StateDep = Annotated[AppState, Depends(_state_dependency)]

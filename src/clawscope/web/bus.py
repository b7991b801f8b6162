"""The event bus: delivers new rows of the event log to this process's SSE subscribers.

Events may be written by any process on the database (another server replica, a CLI ingest), so the
bus does not trust in-process calls alone: one thread per app follows the `events` table by id and
fans every new event out to the subscribers' asyncio queues on the app's event loop. It wakes when
* this process appended events (`store.events` listeners: no delay),
* PostgreSQL sent `NOTIFY clawscope_events` (another process appended; LISTEN on a dedicated
  connection), or
* the poll interval passed (SQLite: a cheap `max(id)` every 100 ms; PostgreSQL: a fallback
  every few seconds in case a notification was lost).
The same thread prunes events stored longer ago than the retention period (by storing time, on the
store's clock). A subscriber that falls too far behind is closed (its client resumes with
`Last-Event-ID`), so one slow reader never grows memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from clawscope.store import Event, EventFilter, EventLog, Notifications
from clawscope.timeutil import now_ms

QUEUE_MAX = 10_000
_PG_FALLBACK_S = 1.0
_PRUNE_EVERY_S = 600.0
_log = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscription:
    flt: EventFilter
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)
    closed: bool = False


class EventBus:
    def __init__(
        self,
        log: EventLog,
        *,
        poll_s: float = 0.1,
        retention_ms: int = 7 * 86_400_000,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.log = log
        self.poll_s = poll_s
        self.retention_ms = retention_ms
        self.clock = clock  # epoch ms: retention counts from the events' storing time on this clock
        self.last_id = 0
        self._subs: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._notifications: Notifications | None = None
        self._next_prune = 0.0

    # -- subscribers (on the event loop) --------------------------------------------------------

    def subscribe(self, flt: EventFilter) -> Subscription:
        self._ensure_started(asyncio.get_running_loop())
        sub = Subscription(flt)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def _fanout(self, found: list[Event]) -> None:
        for sub in list(self._subs):
            for e in found:
                if not sub.flt.matches(e):
                    continue
                if sub.queue.qsize() >= QUEUE_MAX:  # too far behind: close; the client resumes by id
                    sub.closed = True
                    self._subs.discard(sub)
                    sub.queue.put_nowait(None)
                    break
                sub.queue.put_nowait(e)

    # -- the follower thread --------------------------------------------------------------------

    def _ensure_started(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._loop = loop
            self.last_id = self.log.max_id()
            self.log.add_listener(self._on_append)
            self._notifications = self.log.notifications()  # PostgreSQL: NOTIFY from any process
            self._thread = threading.Thread(target=self._run, name="clawscope-bus", daemon=True)
            self._thread.start()

    def _on_append(self, _top: int) -> None:
        self._wake.set()

    def _wait(self) -> None:
        if self._notifications is None:
            self._wake.wait(self.poll_s)
        elif not self._wake.is_set():
            # Woken by a NOTIFY from any process, or by the timeout (then checked anyway).
            try:
                self._notifications.wait(_PG_FALLBACK_S)
            except Exception as exc:  # the LISTEN connection broke: keep following by polling
                _log.warning(
                    "event bus: LISTEN lost (%s); polling every %.2f s", exc.__class__.__name__, self.poll_s
                )
                self._notifications.close()
                self._notifications = None
        self._wake.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wait()
            if self._stop.is_set():
                return
            try:
                self._poll()
                self._maybe_prune()
            except Exception as exc:  # the database may be briefly unavailable: keep following
                _log.warning("event bus: %s: %s", exc.__class__.__name__, exc)
                time.sleep(self.poll_s)

    def _poll(self) -> None:
        if self.log.max_id() <= self.last_id:
            return
        while True:
            found = self.log.read_after(self.last_id, limit=1000)
            if not found:
                return
            self.last_id = found[-1].id
            if self._loop is not None and self._subs:
                with contextlib.suppress(RuntimeError):  # loop closed during shutdown
                    self._loop.call_soon_threadsafe(self._fanout, found)
            if len(found) < 1000:
                return

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + _PRUNE_EVERY_S
        self.prune()

    def prune(self) -> int:
        """Delete the events stored longer ago than the retention period; return how many."""
        return self.log.prune(self.clock() - self.retention_ms)

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self.log.remove_listener(self._on_append)
        for sub in list(self._subs):
            sub.queue.put_nowait(None)
        self._subs.clear()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 10)

        if self._notifications is not None:
            self._notifications.close()

"""Group commit of webhook sessions: the sessions waiting in one server process share a transaction.

Each pushed session is decoded in its request's thread; the write goes to one committer thread per
process, which takes every session waiting (up to `MAX_GROUP`) and writes them in one transaction:
one upsert of sessions, one block insert, one statement per table, one roll-up pass and one commit
for all, instead of one of each per session. A request returns only after its session is committed.
When a group fails (a replayed nonce, text the database refuses, a conflict with another process's
concurrent write), its sessions are written again one by one — a conflict retried a few times — so
each request gets its own answer and no session is lost with another's error. After a group is
committed, the callables in `after` are called (in the committer thread; `serve` wakes detection).
A group's transaction refreshes its sessions' own counts but only marks their analytics roll-ups as
owed; the committer settles them in one pass when a burst is over (and on a timer during a long one),
and every reader of those roll-ups settles first (store/rollup_pending.py).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from clawscope.errors import WriteConflictError
from clawscope.ingest.remote import Prepared, commit
from clawscope.store import Store

MAX_GROUP = 64
SETTLE_IDLE_S = 1.0  # a burst is over: no session for this long (readers settle anyway)
SETTLE_EVERY_S = 2.0  # during a long burst; a settle pauses this committer for its batch
RETRIES = 3
log = logging.getLogger("clawscope.webhook")


class GroupCommit:
    def __init__(self, store: Store, *, estimate: bool = True, max_group: int = MAX_GROUP) -> None:
        self.store = store
        self.estimate = estimate
        self.max_group = max_group
        self._queue: queue.Queue[tuple[Prepared, Future[None]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="clawscope-webhook-commit", daemon=True)
        self._start_lock = threading.Lock()
        self.after: list[Callable[[], None]] = []  # called after each committed group (e.g. detection)
        # The groups' analytics roll-ups are owed (store/rollup_pending.py), settled in one pass per
        # burst: when no session came for `settle_idle_s`, and at least every `settle_every_s`.
        self.settle_idle_s = SETTLE_IDLE_S
        self.settle_every_s = SETTLE_EVERY_S
        self._owed = False
        self._settled_at = time.monotonic()

    def write(self, item: Prepared) -> None:
        """Commit one session (with whatever else is waiting); raises what its own write raised."""
        with self._start_lock:  # the committer starts with the first session
            if not self._thread.is_alive() and self._thread.ident is None:
                self._thread.start()
        done: Future[None] = Future()
        self._queue.put((item, done))
        done.result()

    def close(self) -> None:
        with self._start_lock:
            if self._thread.ident is None:
                return
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _next(self) -> tuple[Prepared, Future[None]] | None:
        """The next session; settles the owed roll-ups first when none came for `settle_idle_s` (a burst
        is over) and before stopping."""
        try:
            item = self._queue.get(timeout=self.settle_idle_s) if self._owed else self._queue.get()
        except queue.Empty:
            self._settle()
            item = self._queue.get()
        if item is None and self._owed:
            self._settle()
        return item

    def _settle(self) -> None:
        self._settled_at = time.monotonic()
        try:
            self.store.settle()
        except Exception as exc:  # the marks stay: the next settle, or any reader, rebuilds them
            log.warning("settling roll-ups failed: %s", exc)
        else:
            self._owed = False

    def _run(self) -> None:
        while True:
            first = self._next()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(nxt)
            self._commit(group)
            self._owed = True  # (a settle finds nothing when the group failed: one cheap read)
            if time.monotonic() - self._settled_at >= self.settle_every_s:
                self._settle()

    def _commit(self, group: list[tuple[Prepared, Future[None]]]) -> None:
        try:
            commit(self.store, [item for item, _ in group], estimate=self.estimate, defer_rollups=True)
        except Exception:
            stored = False
            for item, done in group:  # one by one: each gets its own outcome
                try:
                    self._commit_one(item)
                except Exception as one:
                    done.set_exception(one)
                else:
                    done.set_result(None)
                    stored = True
            if not stored:
                return
        else:
            for _, done in group:
                done.set_result(None)
        for hook in list(self.after):  # what was stored is announced (live detection wakes on it)
            try:
                hook()
            except Exception as exc:  # a listener's failure is not the writer's
                log.warning("after-commit hook failed: %s", exc)

    def _commit_one(self, item: Prepared) -> None:
        """Write one session; a conflict with another server process's concurrent write (a unique
        key or a deadlock; a replayed nonce is `ReplayedNonceError`, never retried) is retried a few times
        before it is an error."""
        for attempt in range(RETRIES + 1):
            try:
                commit(self.store, [item], estimate=self.estimate, defer_rollups=True)
                return
            except WriteConflictError:
                if attempt == RETRIES:
                    raise
                time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)

"""Group commit of webhook sessions: the sessions waiting in one server process share a transaction.

Each pushed session is decoded in its request's thread; the write goes to one committer thread per
process, which takes every session waiting (up to `MAX_GROUP`) and writes them in one transaction:
one upsert of sessions, one block insert, one statement per table, one roll-up pass and one commit
for all, instead of one of each per session. A request returns only after its session is committed.
When a group fails (a replayed nonce, text the database refuses, a conflict with another process's
concurrent write), its sessions are written again one by one — a conflict retried a few times — so
each request gets its own answer and no session is lost with another's error. After a group is
committed, the callables in `after` are called (in the committer thread; `serve` wakes detection).
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

    def _run(self) -> None:
        while True:
            first = self._queue.get()
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

    def _commit(self, group: list[tuple[Prepared, Future[None]]]) -> None:
        try:
            commit(self.store, [item for item, _ in group], estimate=self.estimate)
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
                commit(self.store, [item], estimate=self.estimate)
                return
            except WriteConflictError:
                if attempt == RETRIES:
                    raise
                time.sleep(0.01 * (attempt + 1) + random.random() * 0.02)

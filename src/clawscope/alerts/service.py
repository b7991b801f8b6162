"""What `clawscope serve` runs for alerts: evaluation after each ingest pass (live, webhook or OTLP:
whatever calls `notify()`) and on a timer for time-based rules (windows passing, budgets, digests), and
delivery of the outbox, in one background thread so that neither a slow rule nor a failing channel ever
holds up ingest. Wake-ups are batched: while ingest passes keep ending (a burst of lines, a back-fill), the
evaluation waits until they pause for `quiet_s`, but never more than `max_wait_s` after the first one, so
a burst costs one or two evaluations instead of one per `min_gap_s`, and an alert is at most `max_wait_s`
(plus the evaluation) late. Several processes may each run one: the database decides who makes and who sends
each alert (`evaluate.py`, `deliver.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.evaluate import Evaluator, Outcome, install_defaults
from clawscope.model.detection import Finding
from clawscope.store import Store

log = logging.getLogger("clawscope.alerts")


class AlertService:
    def __init__(
        self,
        store: Store,
        *,
        interval_s: float = 30.0,
        deliver_s: float = 2.0,
        min_gap_s: float = 1.0,
        quiet_s: float = 0.25,
        max_wait_s: float = 1.5,
        findings: Callable[[int], Iterable[Finding]] | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.store = store
        self.interval_s = interval_s
        self.deliver_s = deliver_s  # how often due retries are looked for between evaluations
        # at most one evaluation per `min_gap_s`, however often ingest passes end (bounds what alerts
        # take from ingest on a busy machine; an alert is at most this much later)
        self.min_gap_s = min(min_gap_s, interval_s)
        self.quiet_s = quiet_s
        self.max_wait_s = max(max_wait_s, quiet_s)
        self._pending_since: float | None = None  # the first wake-up not yet evaluated (monotonic)
        self._last_wake = 0.0
        self._last_eval = float("-inf")
        self.evaluator = Evaluator(store, findings=findings)
        self.deliverer = deliverer or Deliverer(store)
        self.passes = 0
        self.last: Outcome | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clawscope-alerts", daemon=True)

    def start(self) -> AlertService:
        try:
            install_defaults(self.store)
        except Exception as exc:  # the database may be briefly unavailable: the defaults wait
            log.warning("could not install the default alert rules: %s", exc.__class__.__name__)
        if self._thread.ident is None:
            self.store.events.add_listener(self.notify)  # events stored by webhooks, hooks, OTLP
            self._thread.start()
        return self

    def notify(self, *_: object) -> None:
        """Evaluate soon (called after each ingest pass; never blocks the caller)."""
        now = time.monotonic()
        if self._pending_since is None:
            self._pending_since = now
        self._last_wake = now
        self._wake.set()

    def _woken_due(self) -> float | None:
        """When (monotonic) the evaluation asked for by wake-ups may run; None: none asked for."""
        pending = self._pending_since
        if pending is None:
            return None
        settled = min(self._last_wake + self.quiet_s, pending + self.max_wait_s)
        return max(self._last_eval + self.min_gap_s, settled)

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        self.store.events.remove_listener(self.notify)
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.deliverer.close()

    def _run(self) -> None:
        next_eval = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            due = self._woken_due()
            if (due is not None and now >= due) or now >= next_eval:
                self._pending_since = None  # before clearing: a wake-up from now on is seen next round
                self._wake.clear()
                self._last_eval = now
                next_eval = now + self.interval_s
                try:
                    self.last = self.evaluator.run()
                    self.passes += 1
                except Exception as exc:
                    log.warning("alert evaluation failed: %s", exc)
            try:
                self.deliverer.drain()
            except Exception as exc:
                log.warning("alert delivery failed: %s", exc)
            now = time.monotonic()
            due = self._woken_due()
            if due is not None:  # asked for: sleep until it may run (later wake-ups move it, up to the cap)
                self._stop.wait(max(0.0, min(next_eval, due) - now))
            else:
                self._wake.wait(max(0.0, min(self.deliver_s, next_eval - now)))

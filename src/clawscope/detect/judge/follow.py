"""The judge after an offline pass: the sessions a detection pass touched, judged where it was uncertain.

`clawscope detect` asks its judge itself (about the sessions in scope, or all of them with `--judge`).
`clawscope ingest` and `serve`'s live passes call `detect.service.detect` and, when a judge is
configured, hand the sessions that pass ran the detectors over to the judge here, which asks only about
the ones holding an uncertain offline finding of a semantic family (`run.candidates`):

* `judge_touched(store, cfg, report)`: at once, in the caller's thread (`clawscope ingest`, which has
  finished ingesting by then).
* `Following`: in one background thread of its own (`serve`): `submit` adds sessions and returns at once,
  so an ingest pass or a webhook never waits on the network. Passes run one at a time, so the judge's
  concurrency limit and daily spend cap hold for the whole process (`run.judge` applies both); sessions
  submitted while a pass runs wait for the next one. A failed pass is logged; the offline verdicts stand.

Without a judge configured nothing here is built, and nothing leaves the machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from clawscope.detect.judge.config import JudgeConfig
from clawscope.detect.judge.run import JudgeReport, judge
from clawscope.detect.service import DetectReport
from clawscope.store import Store

log = logging.getLogger("clawscope.judge")


def judge_touched(store: Store, cfg: JudgeConfig | None, report: DetectReport | None) -> JudgeReport | None:
    """The judge over the sessions `report`'s pass touched (None: no judge, or no pass, or none touched)."""
    if cfg is None or report is None or not report.touched:
        return None
    return judge(store, cfg, sorted(set(report.touched)))


class Following:
    """A background judge: `submit(session_ids)` now, judged in this object's thread soon after."""

    def __init__(self, store: Store, cfg: JudgeConfig) -> None:
        self.store = store
        self.cfg = cfg
        self.passes = 0
        self.last: JudgeReport | None = None
        self._pending: set[str] = set()
        self._cond = threading.Condition()
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None

    def submit(self, session_ids: Iterable[str]) -> None:
        with self._cond:
            if self._stopped:
                return
            before = len(self._pending)
            self._pending.update(session_ids)
            if len(self._pending) == before:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="clawscope-judge", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is pending or being judged (True), or `timeout` seconds passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def stop(self, timeout: float = 30) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    return
                todo, self._pending = sorted(self._pending), set()
                self._busy = True
            try:
                self.last = judge(self.store, self.cfg, todo)
                self.passes += 1
                if self.last.asked or self.last.fallbacks:
                    log.info("judge: %s", self.last.as_json())
            except Exception as exc:  # logged; the offline verdicts stand, the next pass tries again
                log.warning("judge pass failed: %s", exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

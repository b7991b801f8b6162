"""Live detection for `clawscope serve`: after every live-ingest pass, and after every group of sessions
pushed by webhook, the detectors run over the sessions that changed (`detect.service.detect` finds
them: a session whose size, status or detector settings differ from when it was last detected), and
each new finding is appended to the event log as a `detection` event, which the SSE stream delivers.
Off with `detect_live = false`.

A live-ingest pass detects in its own thread, right after it (the pass is already in the background).
Webhook commits only wake a detection thread of this app: a request never waits for the detectors,
and a burst of pushed sessions is detected in one pass.

When a judge is configured (setting `judge`; its key from the environment variable it names), the
sessions each pass touched go to the judge's own background thread (`detect.judge.follow.Following`),
which asks about those the offline tier found uncertain, within the judge's concurrency limit and daily
spend cap: no pass and no request waits on the network. Without a judge nothing is sent anywhere.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Any

from clawscope.detect.judge.config import judge_config
from clawscope.detect.judge.follow import Following
from clawscope.detect.service import detect
from clawscope.errors import ConfigError

if TYPE_CHECKING:
    from clawscope.web.state import AppState

log = logging.getLogger("clawscope.live")


class Detecting:
    """This app's detection: `run()` now, in the caller's thread; `wake()` the background thread."""

    def __init__(self, state: AppState, judging: Following | None = None) -> None:
        self.state = state
        self.judging = judging  # the judge after each pass (None: no judge configured)
        self.passes = 0
        self._lock = threading.Lock()  # one pass at a time in this process
        self._start = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, _report: Any = None) -> None:
        with self._lock:
            report = detect(self.state.store, self.state.settings.detectors)
            self.passes += 1
        if report.detected:
            log.info("detection: %s", report.counts())
        if self.judging is not None and report.touched:
            self.judging.submit(report.touched)  # returns at once: the judge has its own thread

    def wake(self) -> None:
        with self._start:  # never the pass lock: a webhook commit must not wait for a pass
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._loop, name="clawscope-detect", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.judging is not None:
            self.judging.stop(timeout)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if self._stop.is_set():
                return
            self._wake.clear()
            try:
                self.run()
            except Exception as exc:  # logged; the next commit wakes it again
                log.warning("live detection failed: %s", exc)


def install(state: AppState) -> Detecting | None:
    """Detection after each live-ingest pass and each webhook commit of this app (when `detect_live`)."""
    if not state.settings.detect_live:
        return None
    detecting = Detecting(state, _judging(state))
    state.ingest.after.append(detecting.run)
    state.webhooks.after.append(detecting.wake)
    return detecting


def _judging(state: AppState) -> Following | None:
    """The background judge, when one is configured (a malformed `judge` setting: logged, no judge; the
    dashboard shows the error)."""
    try:
        cfg = judge_config(state.settings.judge, os.environ)  # the key: from the variable it names
    except ConfigError as exc:
        log.warning("judge not started: %s", exc)
        return None
    return Following(state.store, cfg) if cfg is not None else None

"""Live ingest for `clawscope serve`: ingest the OpenClaw state dirs once on start, then again on
every change, in a background thread, so a line OpenClaw appends shows on the dashboard in about a second.

Changes come from file-system events (watchfiles: inotify/FSEvents, no polling) on the state dirs —
JSONL transcripts, `sessions.json`, and the SQLite era's `openclaw-agent.sqlite` and its `-wal`. As a
safety net for file systems without events, every `check_s` the size and mtime of the SQLite files are
compared (a few `stat` calls). Each pass is `clawscope.ingest.ingest`, which is incremental and
idempotent; its end time goes to `state.ingest.last_ms` (health reports it) and the callables in
`state.ingest.after` are called with the report. The app's lifespan starts and stops it
(`state.live`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clawscope.ingest import ingest
from clawscope.timeutil import now_ms
from clawscope.web.state import AppState

log = logging.getLogger("clawscope.live")
WATCHED_SUFFIXES = (".jsonl", ".json", ".sqlite", ".sqlite-wal", ".zst")


def _relevant(_change: Any, path: str) -> bool:
    return path.endswith(WATCHED_SUFFIXES) or ".jsonl." in path


def sqlite_fingerprint(dirs: Sequence[Path]) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every agent SQLite store and its WAL: changes when OpenClaw writes."""
    out = []
    for d in dirs:
        for db in sorted((d / "agents").glob("*/agent/openclaw-agent.sqlite")):
            for p in (db, db.with_name(db.name + "-wal")):
                try:
                    st = p.stat()
                except OSError:
                    continue
                out.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(out)


class LiveIngest:
    """The background ingest loop of one server process."""

    def __init__(
        self,
        state: AppState,
        dirs: Sequence[Path],
        *,
        debounce_ms: int = 150,
        check_s: float = 2.0,
    ) -> None:
        self.state = state
        self.dirs = [Path(d) for d in dirs]
        self.debounce_ms = debounce_ms
        self.check_s = check_s
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clawscope-live-ingest", daemon=True)
        self._fingerprint: tuple[tuple[str, int, int], ...] = ()
        self._start_lock = threading.Lock()
        state.live = self  # started and stopped by the app's lifespan

    def start(self) -> LiveIngest:
        """Start following (once; later calls do nothing)."""
        with self._start_lock:
            if self._thread.ident is None:
                self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def run_once(self) -> None:
        """One incremental pass; errors are logged and recorded, never fatal to the loop."""
        settings = self.state.settings
        self._fingerprint = sqlite_fingerprint(self.dirs)
        try:
            report = ingest(
                self.state.store, self.dirs, instance=settings.instance, estimate=settings.price_estimates
            )
        except Exception as exc:  # a bad pass must not stop live updates; the next change retries
            log.warning("live ingest failed: %s", exc)
            self.state.ingest.last_error = str(exc)
            self.state.ingest.last_failed_ms = now_ms()
            return
        self.passes += 1
        self.state.ingest.passes += 1
        self.state.ingest.last_ms = now_ms()
        self.state.ingest.last_error = None
        self.state.ingest.last_failed_ms = None
        for hook in list(self.state.ingest.after):
            try:
                hook(report)
            except Exception as exc:
                log.warning("after-ingest hook failed: %s", exc)

    def _run(self) -> None:
        import watchfiles

        self.run_once()
        watched = [str(d) for d in self.dirs if d.is_dir()]
        if not watched:
            return
        caught_up = False  # a file written between that pass and the watch's start raised no event:
        # the first yield (a change, or the first timeout) comes once the watch runs, and passes again
        for changes in watchfiles.watch(
            *watched,
            watch_filter=_relevant,
            debounce=self.debounce_ms,
            step=50,
            stop_event=self._stop,
            rust_timeout=int(self.check_s * 1000),
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            if self._stop.is_set():
                return
            if not caught_up or changes or sqlite_fingerprint(self.dirs) != self._fingerprint:
                caught_up = True
                self.run_once()

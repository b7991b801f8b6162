"""The state of one ingest run: the store, the writer and its thread, and what is already stored."""

from __future__ import annotations

import threading
from collections.abc import Callable

import msgspec

from clawscope import pricing
from clawscope.store import Store, Unit, WriterThread

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)


class IngestReport(msgspec.Struct):
    """What one ingest added. Counts are of new rows (a re-run on unchanged state reports zeros)."""

    files: int = 0
    sessions: int = 0
    entries: int = 0
    llm_calls: int = 0
    tool_calls: int = 0
    cron_runs: int = 0
    subagent_runs: int = 0
    problems: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "files": self.files,
            "sessions": self.sessions,
            "entries": self.entries,
            "llmCalls": self.llm_calls,
            "toolCalls": self.tool_calls,
            "cronRuns": self.cron_runs,
            "subagentRuns": self.subagent_runs,
        }


class Run:
    """One ingest run. Decoded data goes to `writer`; full units are committed by `thread`."""

    def __init__(self, store: Store, instance: str, now: float, estimate: bool, batch_entries: int) -> None:
        self.store = store
        self.instance = instance
        self.now = now
        self.writer = store.writer(pricing.estimate if estimate else None, batch_entries)
        self.thread = WriterThread(self.writer, on_commit=self._committed)
        self.report = IngestReport()
        # sessions with stored entries, loaded when first needed (a re-run that finds nothing new never
        # needs them: at 170k sessions the query alone was a tenth of a second)
        self._has_entries: set[str] | None = None
        self._has_entries_lock = threading.Lock()  # the writer thread adds what it commits
        self.deleted = store.deleted_session_ids()
        self.progress: ProgressFn | None = None
        self.bytes_done = 0
        self.bytes_total = 0

    def seen_for(self, session_id: str) -> set[str]:
        """Entry ids already stored for a session (empty for a new one)."""
        if self.writer.is_pending(session_id) or self.thread.in_flight(session_id):
            self.flush()
            self.thread.drain()  # its rows must be committed before we read them back
        return self.store.entry_ids(session_id) if session_id in self._sessions_with_entries() else set()

    def _sessions_with_entries(self) -> set[str]:
        with self._has_entries_lock:
            if self._has_entries is None:
                self._has_entries = self.store.sessions_with_entries()
            return self._has_entries

    def _committed(self, unit: Unit) -> None:  # runs in the writer thread
        with self._has_entries_lock:  # (not loaded yet: the query will see this commit)
            if self._has_entries is not None:
                self._has_entries.update(b.session_id for b in unit.batches if b.entries)

    def flush(self) -> None:
        self.thread.submit(self.writer.take())

    def settle(self) -> None:
        """Hand the buffer to the writer and wait until everything handed over is committed: what
        the units held is freed before something large is read."""
        self.flush()
        self.thread.drain()

    def maybe_flush(self) -> None:
        if self.writer.should_flush():
            self.flush()

    def finish(self) -> None:
        self.flush()
        self.thread.close()

    def advance(self, n: int) -> None:
        self.bytes_done += n
        if self.progress is not None:
            self.progress(self.bytes_done, self.bytes_total)

    def cursor_json(self, key: str) -> object:
        raw = self.store.cursor(key)
        return msgspec.json.decode(raw) if raw is not None else None

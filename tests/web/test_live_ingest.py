"""Live ingest in `serve`: a first pass on start, then a pass on each change of the state dirs
(JSONL appends by file-system events; SQLite stores by their file fingerprint)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from clawscope import analytics
from clawscope.config import Settings
from clawscope.model import Filters
from clawscope.store import Store
from clawscope.web.live_ingest import LiveIngest, sqlite_fingerprint
from clawscope.web.state import AppState
from tests.support.env import FIXTURES


def _wait(cond, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def _append(state_dir: Path) -> None:
    path = next((state_dir / "agents" / "main" / "sessions").glob("*.jsonl"))
    lines = path.read_text().splitlines()
    rec = json.loads(next(ln for ln in reversed(lines) if '"role":"assistant"' in ln))
    rec.update(id="abad1dea", parentId=rec["id"])
    rec["message"]["responseId"] = "appended"
    with path.open("a") as fh:
        fh.write(json.dumps(rec) + "\n")


def test_follows_appends_and_stops(db_url: str, tmp_path: Path) -> None:
    state_dir = tmp_path / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    with Store(db_url) as store:
        state = AppState.build(Settings(db=db_url, home=tmp_path, instance="t"), store)
        seen: list[object] = []
        state.ingest.after = [seen.append]
        live = LiveIngest(state, [state_dir]).start()
        try:
            assert _wait(lambda: live.passes >= 1)
            calls = analytics.stats(store, Filters())["totals"]["llmCalls"]
            assert isinstance(state.ingest.last_ms, int)
            _append(state_dir)
            assert _wait(lambda: analytics.stats(store, Filters())["totals"]["llmCalls"] == calls + 1)
            assert _wait(lambda: live.passes >= 2)  # a pass ends a moment after its commit
            assert len(seen) == live.passes
        finally:
            live.stop()
        assert not live._thread.is_alive()


def test_a_failing_pass_is_recorded_not_fatal(tmp_path: Path) -> None:
    state_dir = tmp_path / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    db = tmp_path / "clawscope.db"
    with Store(f"sqlite:///{db}") as store:
        state = AppState.build(Settings(home=tmp_path, instance="t"), store)
        state.ingest.after = [lambda _report: 1 / 0]  # a broken hook is logged, not fatal
        live = LiveIngest(state, [state_dir])
        live.run_once()
        assert live.passes == 1
        assert state.ingest.last_error is None
        store.engine.dispose()
        db.write_bytes(b"this is not a database" * 100)
        live.run_once()  # logged and recorded; the loop would retry on the next change
        assert live.passes == 1
        assert state.ingest.last_error


def test_sqlite_fingerprint_changes_when_the_store_is_written(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    before = sqlite_fingerprint([tmp_path])
    assert before
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    assert sqlite_fingerprint([tmp_path]) != before
    conn.close()


def test_a_line_written_between_the_first_pass_and_the_watch_is_not_missed(
    db_url: str, tmp_path: Path
) -> None:
    state_dir = tmp_path / "openclaw"
    shutil.copytree(FIXTURES / "openclaw-2026.3.24-jsonl", state_dir)
    with Store(db_url) as store:
        state = AppState.build(Settings(db=db_url, home=tmp_path, instance="t"), store)

        class AppendAfterFirstPass(LiveIngest):
            def run_once(self) -> None:
                super().run_once()
                if self.passes == 1:  # before the file watch starts: no event will tell of it
                    _append(state_dir)

        live = AppendAfterFirstPass(state, [state_dir]).start()
        try:
            assert _wait(lambda: live.passes >= 1)
            calls = analytics.stats(store, Filters())["totals"]["llmCalls"]
            # the appended line arrives without any later change to the files
            assert _wait(lambda: analytics.stats(store, Filters())["totals"]["llmCalls"] == calls + 1)
        finally:
            live.stop()

"""Incremental, idempotent and crash-safe ingest: appends, live SQLite writers, kill -9 at any point."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import zstandard
from sqlalchemy import text

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.oracle import count_state_dir
from tests.support.builders import assistant, jsonl, state_dir, tool_call, tool_result, user, write_session
from tests.support.env import FIXTURES


def build_history(root: Path, sessions: int, turns: int) -> Path:
    """A JSONL-era state dir with `sessions` sessions of `turns` tool-using turns each."""
    folder = state_dir(root)
    for s in range(sessions):
        records = []
        for t in range(turns):
            cid = f"c{s}-{t}"
            records += [
                user(f"turn {t}"),
                assistant(tools=[tool_call(cid, "exec", command="ls")], cost=0.001 * t),
                tool_result(cid, "exec", error=t % 5 == 0),
                assistant(cost=0.002),
            ]
        write_session(
            folder, f"{s:08d}-0000-0000-0000-000000000000", records, key=f"agent:main:s{s}:direct:x"
        )
    return folder


def assert_equals_oracle(store: Store, root: Path) -> None:
    totals = analytics.stats(store, Filters())["totals"]
    expected = count_state_dir(root).totals()
    for key, value in expected.items():
        assert totals[key] == pytest.approx(value, abs=1e-9), key


def test_appended_lines_and_new_files_are_ingested_once(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "state"
    folder = build_history(root, sessions=3, turns=4)
    with Store(db_url) as store:
        first = ingest(store, [root], instance="t")
        assert_equals_oracle(store, root)
        # OpenClaw appends to one session and starts another
        with (folder / "00000001-0000-0000-0000-000000000000.jsonl").open("a") as fh:
            fh.write(jsonl([user("more"), assistant(cost=0.5), assistant(cost=0.25)]))
        write_session(folder, "00000009-0000-0000-0000-000000000000", [assistant(cost=1.0)])
        second = ingest(store, [root], instance="t")
        assert_equals_oracle(store, root)
        third = ingest(store, [root], instance="t")
    assert first.entries == 3 * (1 + 4 * 4)
    assert (second.files, second.entries, second.llm_calls) == (2, 3 + 2, 3)
    assert (third.files, third.entries) == (0, 0)


def test_a_rewritten_file_is_read_again_without_double_counting(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "state"
    folder = build_history(root, sessions=1, turns=2)
    path = folder / "00000000-0000-0000-0000-000000000000.jsonl"
    with Store(sqlite_url) as store:
        ingest(store, [root], instance="t")
        lines = path.read_text().splitlines(keepends=True)
        path.unlink()  # replaced by a new file (new inode) with the same entries plus one
        path.write_text("".join(lines) + json.dumps(assistant(cost=3.0)) + "\n")
        report = ingest(store, [root], instance="t")
        assert_equals_oracle(store, root)
    assert report.llm_calls == 1


def _append_event(
    db: Path | sqlite3.Connection, session_id: str, seq: int, record: dict, compress: bool = False
) -> None:
    conn = _writer(db) if isinstance(db, Path) else db
    raw = json.dumps(record)
    if compress:
        blob = zstandard.ZstdCompressor(level=1, write_checksum=True).compress(raw.encode())
        nav = conn.execute(
            "SELECT navigation_json FROM transcript_events WHERE navigation_json IS NOT NULL"
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO transcript_events (session_id, seq, event_json, created_at, event_zstd, "
            "event_utf8_bytes, navigation_json) VALUES (?, ?, NULL, 0, ?, ?, ?)",
            (session_id, seq, blob, len(raw.encode()), nav),
        )
    else:
        conn.execute(
            "INSERT INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, 0)",
            (session_id, seq, raw),
        )
    conn.commit()
    if isinstance(db, Path):
        conn.close()


def _writer(db: Path) -> sqlite3.Connection:
    """A connection like the gateway's: busy timeout 0, so any lock held by a reader would fail it."""
    conn = sqlite3.connect(db, timeout=0, check_same_thread=False)
    # OpenClaw's CHECK constraints call octet_length(), which SQLite < 3.43 (Python's here) lacks.
    conn.create_function("octet_length", 1, _octet_length, deterministic=True)
    return conn


def _octet_length(value: object) -> int | None:
    if value is None:
        return None
    return len(value.encode()) if isinstance(value, str) else len(bytes(value))  # type: ignore[arg-type]


def _sqlite_state(tmp_path: Path) -> tuple[Path, Path]:
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "openclaw-2026.9.6-sqlite", state)
    db = state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")  # as a live gateway has it
    conn.execute("DROP TABLE IF EXISTS transcript_event_identities")  # its FK would refuse our test rows
    conn.close()
    return state, db


SESSION = "06c02e1f-0578-45ca-ac48-d148526a9883"


def test_sqlite_era_rows_appended_after_an_ingest_are_read_next_time(tmp_path: Path, db_url: str) -> None:
    state, db = _sqlite_state(tmp_path)
    with Store(db_url) as store:
        ingest(store, [state], instance="t")
        _append_event(db, SESSION, 7, user("again"))
        _append_event(db, SESSION, 8, assistant(cost=0.7, input=4000))
        _append_event(db, SESSION, 9, {**assistant(cost=0.3), "pad": "x" * 3000}, compress=True)
        report = ingest(store, [state], instance="t")
        assert_equals_oracle(store, state)
        assert ingest(store, [state], instance="t").entries == 0
    assert (report.entries, report.llm_calls) == (3, 2)


def test_ingest_while_a_gateway_writes_never_blocks_it(tmp_path: Path, sqlite_url: str) -> None:
    """A writer with busy timeout 0 appends rows while we ingest again and again: had the reader held a
    lock that blocks writers, the writer would fail with `database is locked`."""
    state, db = _sqlite_state(tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    conn = _writer(db)  # the gateway keeps its connection open, as the real one does

    def gateway() -> None:
        seq = 100
        try:
            while not stop.is_set() and seq < 400:
                _append_event(conn, SESSION, seq, assistant(cost=0.01))
                seq += 1
        except BaseException as exc:  # pragma: no cover - the failure this test looks for
            errors.append(exc)

    writer = threading.Thread(target=gateway)
    with Store(sqlite_url) as store:
        writer.start()
        runs = 0
        while writer.is_alive() and runs < 200:
            ingest(store, [state], instance="t")
            runs += 1
        stop.set()
        writer.join()
        conn.close()
        ingest(store, [state], instance="t")  # the next ingest completes the picture
        assert_equals_oracle(store, state)
    assert errors == []
    assert runs >= 2


# -- kill -9 --------------------------------------------------------------------------------------------


def _dump(url: str) -> dict[str, list[tuple]]:
    """Everything that matters in a store, independent of row ids and wall-clock times."""
    queries = {
        "sessions": "SELECT session_id, instance, agent_id, key, kind, trigger, parent_key, spawn_depth, "
        "n_entries, "
        "n_llm_calls, n_tool_calls, n_tool_errors, n_errors, tokens_in, tokens_out, cost_usd, first_ms, "
        "last_ms FROM sessions ORDER BY session_id",
        "entries": "SELECT s.session_id, e.entry_id, e.pos, e.type, e.role, e.parent_id, e.ts_ms, "
        "e.block_len "
        "FROM entries e JOIN sessions s ON s.sid = e.sid ORDER BY 1, 2",
        "llm_calls": "SELECT s.session_id, l.entry_id, l.input, l.output, l.cost_total, l.stop_reason "
        "FROM llm_calls l JOIN sessions s ON s.sid = l.sid ORDER BY 1, 2",
        "tool_calls": "SELECT s.session_id, t.call_id, t.name, t.status, t.call_entry_id, t.result_entry_id "
        "FROM tool_calls t JOIN sessions s ON s.sid = t.sid ORDER BY 1, 2",
        "problems": "SELECT path, location, code FROM problems ORDER BY 1, 2, 3",
    }
    with Store(url) as store, store.engine.connect() as conn:
        out = {name: [tuple(r) for r in conn.execute(text(sql))] for name, sql in queries.items()}
        out["raw"] = sorted((sid, eid, raw) for sid, eid, raw in _raw_entries(conn))
    return out


def _raw_entries(conn) -> list[tuple[str, str, bytes]]:
    rows = conn.execute(
        text(
            "SELECT s.session_id, e.entry_id, b.data, e.block_off, e.block_len FROM entries e "
            "JOIN sessions s ON s.sid = e.sid JOIN entry_blocks b ON b.block_id = e.block_id"
        )
    ).all()
    dctx = zstandard.ZstdDecompressor()
    out = []
    for sid, eid, data, off, length in rows:
        raw = dctx.decompress(data, max_output_size=64 << 20)
        out.append((sid, eid, raw[off : off + length]))
    return out


def _ingest_cmd(state: Path, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "clawscope.cli",
        "ingest",
        str(state),
        "--db",
        str(db),
        "--json",
        "--instance",
        "t",
        "--batch-entries",
        "300",
    ]


@pytest.mark.slow
def test_kill_9_at_any_point_then_rerun_gives_the_clean_database(tmp_path: Path) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=60, turns=25)  # ~6,000 entries, ~20 transactions
    shutil.copytree(FIXTURES / "openclaw-2026.9.6-sqlite" / "agents" / "main", root / "agents" / "ops")
    env = {**os.environ, "HOME": str(tmp_path)}
    clean = tmp_path / "clean.db"
    t0 = time.monotonic()
    subprocess.run(_ingest_cmd(root, clean), check=True, capture_output=True, env=env)
    duration = time.monotonic() - t0
    expected = _dump(f"sqlite:///{clean}")
    assert len(expected["entries"]) > 6000
    killed_mid_run = 0
    for fraction in (0.15, 0.3, 0.45, 0.6, 0.75, 0.9):
        db = tmp_path / f"killed-{uuid.uuid4().hex[:6]}.db"
        proc = subprocess.Popen(
            _ingest_cmd(root, db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        time.sleep(duration * fraction)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_run += 1
        proc.wait()
        # a second kill during the resumed run, then a full run
        proc = subprocess.Popen(
            _ingest_cmd(root, db), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        time.sleep(duration * fraction / 3)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        subprocess.run(_ingest_cmd(root, db), check=True, capture_output=True, env=env)
        assert _dump(f"sqlite:///{db}") == expected, f"after a kill at {fraction:.0%}"
    assert killed_mid_run >= 3  # the kills really hit running ingests


def test_worker_processes_give_the_same_database(tmp_path: Path) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=12, turns=6)
    shutil.copy(
        next((root / "agents/main/sessions").glob("0000000[1]*.jsonl")),
        root / "agents/main/sessions/00000001-0000-0000-0000-000000000000.checkpoint.abc.jsonl",
    )
    urls = []
    for workers in (0, 2):
        url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        with Store(url) as store:
            report = ingest(store, [root], instance="t", workers=workers, batch_entries=50)
        assert report.entries == 12 * (1 + 6 * 4)
        urls.append(url)
    assert _dump(urls[0]) == _dump(urls[1])

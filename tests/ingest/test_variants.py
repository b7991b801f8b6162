"""Every file variant of a real sessions folder (format doc §9): each entry counted once, nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import zstandard

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.oracle import count_state_dir
from tests.support.builders import (
    assistant,
    header,
    jsonl,
    state_dir,
    tool_call,
    tool_result,
    user,
    write_session,
)
from tests.support.env import FIXTURES

SID = "11111111-2222-3333-4444-555555555555"


def totals(url: str, root: Path) -> dict:
    with Store(url) as store:
        ingest(store, [root], instance="t", estimate=False)
        return analytics.stats(store, Filters())["totals"]


def test_archives_are_read_once_and_copies_never_double_count(tmp_path: Path, sqlite_url: str) -> None:
    sessions = state_dir(tmp_path / "state")
    records = [user("hi"), assistant(cost=0.5), assistant(cost=0.25)]
    write_session(sessions, SID, records, key="agent:main:main")
    # copies of the same session: same entry ids
    shutil.copy(sessions / f"{SID}.jsonl", sessions / f"{SID}.checkpoint.0f1e2d3c.jsonl")
    shutil.copy(sessions / f"{SID}.jsonl", sessions / f"{SID}.jsonl.bak-20261101")
    # an archived earlier session of the same key: real spend found nowhere else
    old = "99999999-2222-3333-4444-555555555555"
    (sessions / f"{old}.jsonl.reset.2026-10-30T10-00-00.000Z").write_text(
        jsonl([header(old), assistant(cost=1.0)])
    )
    deleted = "88888888-2222-3333-4444-555555555555"
    raw = jsonl([header(deleted), assistant(cost=2.0)]).encode()
    (sessions / f"{deleted}.jsonl.deleted.1793527201000.zst").write_bytes(
        zstandard.ZstdCompressor().compress(raw)
    )
    # sidecars and locks are not transcripts
    (sessions / f"{SID}.trajectory.jsonl").write_text(jsonl([assistant(cost=100.0)]))
    (sessions / f"{SID}.trajectory-path.json").write_text("{}")
    (sessions / f"{SID}.jsonl.lock").write_text("")
    t = totals(sqlite_url, tmp_path / "state")
    assert (t["sessions"], t["llmCalls"]) == (3, 4)
    assert t["costUSD"] == pytest.approx(3.75)


def test_headerless_transcript_takes_its_id_from_the_file_name(tmp_path: Path, sqlite_url: str) -> None:
    sessions = state_dir(tmp_path / "state")
    (sessions / f"{SID}.jsonl").write_text(jsonl([user("x"), assistant(cost=0.1)]))
    with Store(sqlite_url) as store:
        ingest(store, [tmp_path / "state"], instance="t")
        rows = analytics.sessions(store, Filters())
    assert [r["sessionId"] for r in rows] == [SID]
    assert rows[0]["llmCalls"] == 1


def test_a_topic_transcript_is_the_transcript_of_its_sessions_id(tmp_path: Path, sqlite_url: str) -> None:
    """sessions.json: key `…:group:<g>:topic:<t>` → sessionId X, sessionFile `X-topic-<t>.jsonl`."""
    sessions = state_dir(tmp_path / "state")
    write_session(
        sessions,
        SID,
        [assistant(cost=0.2)],
        key="agent:main:telegram:group:-100:topic:42",
        name=f"{SID}-topic-42.jsonl",
    )
    with Store(sqlite_url) as store:
        ingest(store, [tmp_path / "state"], instance="t")
        (row,) = analytics.sessions(store, Filters())
    assert (row["sessionId"], row["kind"], row["channel"], row["llmCalls"]) == (SID, "group", "telegram", 1)


def test_a_cut_off_last_line_waits_then_is_reported_once(tmp_path: Path, sqlite_url: str) -> None:
    sessions = state_dir(tmp_path / "state")
    path = write_session(sessions, SID, [assistant(cost=0.1)])
    with path.open("a") as fh:
        fh.write('{"type":"message","id":"zz","mess')  # being written right now
    with Store(sqlite_url) as store:
        ingest(store, [tmp_path / "state"], instance="t", now=path.stat().st_mtime + 1)
        assert analytics.problems(store) == []  # still being written: not a problem yet
        later = path.stat().st_mtime + 3600
        ingest(store, [tmp_path / "state"], instance="t", now=later)
        ingest(store, [tmp_path / "state"], instance="t", now=later)
        problems = analytics.problems(store)
        assert [(p["code"], p["location"]) for p in problems] == [
            ("truncated_line", "line 3 (byte " + str(len(path.read_bytes()) - 33) + ")")
        ]
        assert analytics.stats(store, Filters())["totals"]["llmCalls"] == 1


def test_a_line_still_being_written_is_read_whole_next_time(tmp_path: Path, sqlite_url: str) -> None:
    sessions = state_dir(tmp_path / "state")
    path = write_session(sessions, SID, [assistant(cost=0.1)])
    line = json.dumps(assistant(cost=0.2)) + "\n"
    with Store(sqlite_url) as store:
        with path.open("a") as fh:
            fh.write(line[:40])
        ingest(store, [tmp_path / "state"], instance="t", now=path.stat().st_mtime)
        with path.open("a") as fh:
            fh.write(line[40:])
        ingest(store, [tmp_path / "state"], instance="t", now=path.stat().st_mtime)
        t = analytics.stats(store, Filters())["totals"]
        assert (t["llmCalls"], analytics.problems(store)) == (2, [])
        assert t["costUSD"] == pytest.approx(0.3)


def test_legacy_state_dirs_and_last_line_without_newline(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / ".clawdbot"
    sessions = state_dir(root)
    (sessions / f"{SID}.jsonl").write_text(jsonl([header(SID), user("x")]) + json.dumps(assistant(cost=0.4)))
    t = totals(sqlite_url, root)
    assert t["llmCalls"] == 1 and t["costUSD"] == pytest.approx(0.4)


def test_doctor_import_jsonl_and_sqlite_of_one_session_count_once(tmp_path: Path, sqlite_url: str) -> None:
    """After `openclaw doctor` imports legacy JSONL into the SQLite store, both hold the same entries."""
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "openclaw-2026.9.6-sqlite", state)
    sessions = state / "agents" / "main" / "sessions"
    sessions.mkdir(parents=True)
    for export in (state / "exports").iterdir():
        sid = export.name.removeprefix("export-")
        shutil.copy(export, sessions / sid)  # the legacy JSONL of the same sessions
    shutil.rmtree(state / "exports")
    t = totals(sqlite_url, state)
    expected = count_state_dir(FIXTURES / "openclaw-2026.9.6-sqlite").totals()
    assert (t["sessions"], t["llmCalls"], t["toolCalls"]) == (3, 8, 2)
    assert t["costUSD"] == pytest.approx(expected["costUSD"], abs=1e-9)


def test_failed_tools_and_multi_agent(tmp_path: Path, sqlite_url: str) -> None:
    root = tmp_path / "state"
    for agent, n in (("main", 2), ("ops", 3)):
        sessions = state_dir(root, agent)
        records = []
        for i in range(n):
            records += [
                assistant(tools=[tool_call(f"c{agent}{i}", "read", path="/nope")]),
                tool_result(f"c{agent}{i}", "read", error=i % 2 == 0),
            ]
        write_session(sessions, f"{agent}-0000-0000-0000-000000000000", records, key=f"agent:{agent}:main")
    with Store(sqlite_url) as store:
        ingest(store, [root], instance="t")
        by_agent = {g["key"]: g for g in analytics.stats(store, Filters(), by="agent")["groups"]}
        tools = analytics.stats(store, Filters(), by="tool")["groups"]
    assert {k: (g["llmCalls"], g["toolCalls"], g["toolErrors"]) for k, g in by_agent.items()} == {
        "main": (2, 2, 1),
        "ops": (3, 3, 2),
    }
    assert [(g["key"], g["toolCalls"], g["toolErrors"]) for g in tools] == [("read", 5, 3)]


def test_a_read_only_sqlite_store_with_a_wal_is_read_from_a_snapshot() -> None:
    """A WAL-mode database in a folder we cannot write (a mounted backup) cannot be opened `mode=ro` in
    place (SQLite needs to create its -shm file); clawscope reads a private snapshot copy instead."""
    tmp_path = Path(tempfile.mkdtemp(prefix="clawscope-ro-"))
    tmp_path.chmod(0o755)
    state = tmp_path / "state"
    shutil.copytree(FIXTURES / "openclaw-2026.9.6-sqlite", state)
    db = state / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    live = tmp_path / "live.sqlite"
    shutil.move(db, live)
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE keep_wal (x)")
    conn.commit()
    shutil.copy(live, db)  # a copy taken while the writer is open has a non-empty -wal
    shutil.copy(f"{live}-wal", f"{db}-wal")
    conn.close()
    assert (db.parent / "openclaw-agent.sqlite-wal").stat().st_size > 0
    out = tmp_path / "out"
    out.mkdir()
    for p in [tmp_path, *tmp_path.rglob("*")]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    out.chmod(0o777)
    cmd = [sys.executable, "-m", "clawscope.cli", "ingest", str(state), "--db", str(out / "c.db"), "--json"]
    if os.geteuid() == 0:  # root may write anywhere: run as nobody so the folder really is read-only
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = {**os.environ, "HOME": str(out)}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    finally:
        for p in [tmp_path, *tmp_path.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        result = done.returncode, done.stderr
        shutil.rmtree(tmp_path)
    assert result[0] == 0, result[1]
    assert json.loads(done.stdout)["ingested"]["llmCalls"] == 8
    assert not (db.parent / "openclaw-agent.sqlite-shm").exists() or os.geteuid() != 0

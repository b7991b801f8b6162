"""Hostile and broken input (issue 13, items 5-8): each bad piece is a problem with where and why, the
rest is ingested as from a clean state dir, and no rerun crashes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.ingest.test_incremental import build_history
from tests.support.builders import assistant, state_dir, user, write_session
from tests.support.env import FIXTURES
from tests.support.hostile import NOW, run_pair, run_pair_cli

SESSIONS = "agents/main/sessions"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _history(root: Path) -> None:
    build_history(root, sessions=3, turns=2)


def _first_transcript(root: Path) -> Path:
    return sorted((root / SESSIONS).glob("*.jsonl"))[0]


def test_a_deeply_nested_line_is_an_invalid_json_problem_and_the_rest_is_ingested(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        with _first_transcript(root).open("ab") as fh:  # the first session read: the others come after
            fh.write(b'{"type":"message","id":"deep","message":' + nested(1200) + b"}\n")

    out = run_pair(tmp_path, _history, mutate)
    assert out.differences("cursors") == []
    assert ("invalid_json", f"{SESSIONS}/00000000-0000-0000-0000-000000000000.jsonl") in out.codes()
    (p,) = [p for p in out.problems if p["code"] == "invalid_json"]
    assert "nested" in p["reason"] and p["location"].startswith("line")


def test_a_deeply_nested_sessions_json_is_an_invalid_json_problem(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        (root / SESSIONS / "sessions.json").write_bytes(b'{"x":' + nested(5000) + b"}")

    out = run_pair(tmp_path, _history, mutate)
    assert ("invalid_json", f"{SESSIONS}/sessions.json") in out.codes()
    # the transcripts are all there; only what sessions.json said (keys) is missing
    assert out.clean["raw_entries"] == out.hostile["raw_entries"]
    assert out.clean["llm_calls"] == out.hostile["llm_calls"]


def test_deeply_nested_cron_and_subagent_registries_are_problems(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        (root / "cron" / "runs").mkdir(parents=True)
        (root / "cron" / "runs" / "job.jsonl").write_bytes(b'{"a":' + nested(3000) + b"}\n")
        (root / "subagents").mkdir()
        (root / "subagents" / "runs.json").write_text(
            json.dumps({"version": 2})[:-1] + ', "x": ' + "[" * 3000 + "]" * 3000 + "}"
        )

    out = run_pair(tmp_path, _history, mutate)
    assert {c for c, _ in out.codes()} == {"invalid_json"}
    assert out.differences("cursors") == []


# -- invalid UTF-8 in the SQLite-era store (item 6) -----------------------------------------------------

SQLITE_FIXTURE = FIXTURES / "openclaw-2026.9.6-sqlite"
AGENT_DB = "agents/main/agent/openclaw-agent.sqlite"
SID = "0f26b913-efab-4437-9a8e-16cd29ff5a8d"


def _sqlite_era(root: Path) -> None:
    shutil.copytree(SQLITE_FIXTURE, root)


def _write_event(root: Path, seq: int, event: bytes, *, update: bool) -> None:
    with sqlite3.connect(root / AGENT_DB) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")  # the table's CHECKs need SQLite >= 3.43
        if update:
            conn.execute(
                "UPDATE transcript_events SET event_json = CAST(? AS TEXT) WHERE session_id = ? AND seq = ?",
                (event, SID, seq),
            )
        else:
            conn.execute(
                "INSERT INTO transcript_events (session_id, seq, event_json, created_at) "
                "VALUES (?, ?, CAST(? AS TEXT), 1795238742999)",
                (SID, seq, event),
            )


def _user(entry_id: str, text: bytes) -> bytes:
    return (
        b'{"type":"message","id":"' + entry_id.encode() + b'","parentId":null,'
        b'"timestamp":"2026-11-21T05:25:43.000Z","message":{"role":"user","content":"' + text + b'"}}'
    )


def test_invalid_utf8_in_event_json_is_a_problem_and_the_rest_is_ingested(tmp_path: Path) -> None:
    def mutate(root: Path) -> None:
        with sqlite3.connect(root / AGENT_DB) as conn:
            (raw,) = conn.execute(
                "SELECT CAST(event_json AS BLOB) FROM transcript_events WHERE session_id = ? AND seq = 4",
                (SID,),
            ).fetchone()
        _write_event(root, 4, raw.replace(b"You are", b"You \xff\xfe are", 1), update=True)

    out = run_pair(tmp_path, _sqlite_era, mutate)
    (p,) = [p for p in out.problems if p["code"] == "invalid_utf8"]
    assert p["location"] == f"session {SID} seq 4" and p["path"].endswith(AGENT_DB)
    # the row is kept (its bad bytes replaced by U+FFFD); everything else is as in the clean run
    assert len(out.hostile["raw_entries"]) == len(out.clean["raw_entries"])
    assert out.differences("raw_entries", "entries", "cursors") == []  # one entry is 1 byte longer
    other = [r for r in out.clean["raw_entries"] if r[0] != SID]
    assert other == [r for r in out.hostile["raw_entries"] if r[0] != SID]


def _entries(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())


def test_a_new_row_with_invalid_utf8_is_read_with_a_problem_not_dropped(tmp_path: Path) -> None:
    root = tmp_path / "state"
    _sqlite_era(root)
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        ingest(store, [root], instance="t", now=NOW)
        before = _entries(store)
        _write_event(root, 6, _user("bad-utf8-entry", b"caf\xe9 \xc3"), update=False)
        ingest(store, [root], instance="t", now=NOW)
        assert _entries(store) == before + 1
        (p,) = [p for p in store.problems.all() if p["code"] == "invalid_utf8"]
        assert p["location"] == f"session {SID} seq 6"
        assert "caf" in p["excerpt"]


# -- paths that are not regular readable files (item 7) --------------------------------------------------


def _fifo(root: Path) -> None:
    os.mkfifo(root / SESSIONS / "fifo.jsonl")


def _dev_zero(root: Path) -> None:
    os.symlink("/dev/zero", root / SESSIONS / "zero.jsonl")


def _directory(root: Path) -> None:
    (root / SESSIONS / "folder.jsonl").mkdir()
    (root / SESSIONS / "folder.jsonl" / "x.jsonl").write_text("{}\n")


def _dot(root: Path) -> None:
    os.symlink(".", root / SESSIONS / "dot.jsonl")


def _loop(root: Path) -> None:
    os.symlink("loop-b.jsonl", root / SESSIONS / "loop-a.jsonl")
    os.symlink("loop-a.jsonl", root / SESSIONS / "loop-b.jsonl")


def _dangling(root: Path) -> None:
    os.symlink("gone/nowhere.jsonl", root / SESSIONS / "dangling.jsonl")


def _garbage_sqlite(root: Path) -> None:
    db = root / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a database\x00" * 400)


def _fifo_sessions_json(root: Path) -> None:
    (root / SESSIONS / "sessions.json").unlink()
    os.mkfifo(root / SESSIONS / "sessions.json")


HOSTILE_PATHS = {
    "fifo": (_fifo, [f"{SESSIONS}/fifo.jsonl"], "not a regular file"),
    "dev_zero": (_dev_zero, [f"{SESSIONS}/zero.jsonl"], "not a regular file"),
    "directory": (_directory, [f"{SESSIONS}/folder.jsonl"], "not a regular file"),
    "symlink_to_dot": (_dot, [f"{SESSIONS}/dot.jsonl"], "not a regular file"),
    "symlink_loop": (_loop, [f"{SESSIONS}/loop-a.jsonl", f"{SESSIONS}/loop-b.jsonl"], "symlink loop"),
    "dangling_link": (_dangling, [f"{SESSIONS}/dangling.jsonl"], "dangling symlink"),
    "garbage_sqlite": (
        _garbage_sqlite,
        ["agents/main/agent/openclaw-agent.sqlite"],
        "not an SQLite database",
    ),
    "fifo_sessions_json": (_fifo_sessions_json, [f"{SESSIONS}/sessions.json"], "not a regular file"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_PATHS))
def test_a_path_that_is_not_a_readable_regular_file_is_an_unreadable_problem(
    tmp_path: Path, case: str
) -> None:
    mutate, paths, why = HOSTILE_PATHS[case]
    out = run_pair_cli(tmp_path, _history, mutate)
    assert out.codes() == {("unreadable", p) for p in paths}
    assert all(why in p["reason"] and p["location"] == "file" for p in out.problems), out.problems
    if case == "fifo_sessions_json":  # what sessions.json says (keys, kinds) is missing; the data is not
        for table in ("raw_entries", "llm_calls", "tool_calls", "entries"):
            assert out.hostile[table] == out.clean[table], table
    else:
        assert out.differences("cursors") == []  # everything else as in a clean run


def test_an_unreadable_transcript_is_a_problem_and_the_other_sessions_are_stored(tmp_path: Path) -> None:
    out = run_pair_cli(
        tmp_path, _history, lambda root: os.chmod(_first_transcript(root), 0), unprivileged=True
    )
    (p,) = out.problems
    assert p["code"] == "unreadable" and "permission denied" in p["reason"].lower()
    sid = _first_transcript(tmp_path / "clean").stem
    assert {r[0] for r in out.hostile["raw_entries"]} == {r[0] for r in out.clean["raw_entries"]} - {sid}
    others = [r for r in out.clean["llm_calls"] if r[0] != sid]
    assert out.hostile["llm_calls"] == others


# -- every rejected usage field is named (item 8) --------------------------------------------------------


def test_a_negative_usage_record_names_every_rejected_field(tmp_path: Path) -> None:
    root = tmp_path / "state"
    sessions = state_dir(root)
    bad = assistant(input=-5, output=-7, cost=-0.5)
    bad["message"]["usage"]["cacheRead"] = -1
    bad["message"]["usage"]["totalTokens"] = 10**20
    bad["message"]["usage"]["cost"]["output"] = -2
    write_session(sessions, "s-neg", [user("hi"), bad])
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        ingest(store, [root], instance="t", now=NOW)
        (p,) = [p for p in store.problems.all() if p["code"] == "absurd_number"]
    for field in ("input", "output", "cacheRead", "totalTokens", "cost.input", "cost.output", "cost.total"):
        assert field in p["reason"].replace(",", " ").replace(";", " ").split(), (field, p["reason"])
    assert p["location"] == "line 3"


def test_out_of_range_numbers_and_wrong_types_are_all_named(tmp_path: Path) -> None:
    root = tmp_path / "state"
    sessions = state_dir(root)
    line = (
        '{"type":"message","id":"m1","timestamp":"2026-11-01T10:00:02.000Z","message":{"role":"assistant",'
        '"provider":"p","model":"m","api":"x","stopReason":"stop","content":[{"type":"text","text":"ok"}],'
        '"usage":{"input":1e400,"output":2e400,"cacheRead":"many","cacheWrite":[1],"totalTokens":3}}}'
    )
    path = write_session(sessions, "s-big", [user("hi")])
    with path.open("a") as fh:
        fh.write(line + "\n")
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        ingest(store, [root], instance="t", now=NOW)
        problems = {p["code"]: p["reason"] for p in store.problems.all()}
    assert ".message.usage.input" in problems["absurd_number"]
    assert ".message.usage.output" in problems["absurd_number"]
    assert ".message.usage.cacheRead" in problems["wrong_type"]
    assert ".message.usage.cacheWrite" in problems["wrong_type"]

"""Hostile state dirs rebuilt from the real samples of both eras (issue 13, "Hostile and broken input"):
each is ingested by real `clawscope ingest` processes (bounded in time and memory), twice; no traceback,
every bad piece an `invalid_json` / `invalid_utf8` / `unreadable` / `absurd_number` problem with where
and why, and every table otherwise identical to a clean run of the sample."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.attack.samples import JSONL_ERA, SQLITE_ERA, sample
from tests.support.hostile import run_pair_cli

SESSIONS = "agents/main/sessions"
AGENT_DB = "agents/main/agent/openclaw-agent.sqlite"
Mutation = Callable[[Path], object]


def _first(root: Path) -> Path:
    return sorted(p for p in (root / SESSIONS).glob("*.jsonl") if p.name.count(".") == 1)[0]


def _append(line: bytes) -> Mutation:
    def mutate(root: Path) -> None:
        with _first(root).open("ab") as fh:
            fh.write(line + b"\n")

    return mutate


def _in_sessions(make: Callable[[Path], object]) -> Mutation:
    return lambda root: make(root / SESSIONS)


def _garbage_agent_db(root: Path) -> None:
    db = root / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(os.urandom(8192))


def _nested_sessions_json(root: Path) -> None:
    (root / SESSIONS / "sessions.json").write_bytes(b'{"k":' + b"[" * 5000 + b"]" * 5000 + b"}")


def _loop(d: Path) -> None:
    os.symlink("b.jsonl", d / "a.jsonl")
    os.symlink("a.jsonl", d / "b.jsonl")


def _dir(d: Path) -> None:
    (d / "folder.jsonl").mkdir()


NESTED = b'{"type":"message","id":"deep","message":' + b"[" * 1200 + b"]" * 1200 + b"}"
NEGATIVE = json.dumps(
    {
        "type": "message",
        "id": "neg-usage",
        "timestamp": "2026-11-21T06:00:00.000Z",
        "message": {
            "role": "assistant",
            "provider": "fake",
            "model": "fake-model",
            "content": [{"type": "text", "text": "x"}],
            "stopReason": "stop",
            "usage": {"input": -1, "output": -2, "totalTokens": -3, "cost": {"total": -0.5}},
        },
    }
).encode()

# name -> (mutation, expected (code, path) problems, tables that may differ besides problems/cursors)
JSONL_CASES: dict[str, tuple[Mutation, set[tuple[str, str]], tuple[str, ...]]] = {
    "nested_line": (_append(NESTED), {("invalid_json", "first")}, ()),
    "nested_sessions_json": (_nested_sessions_json, {("invalid_json", f"{SESSIONS}/sessions.json")}, ("*",)),
    "fifo": (
        _in_sessions(lambda d: os.mkfifo(d / "fifo.jsonl")),
        {("unreadable", f"{SESSIONS}/fifo.jsonl")},
        (),
    ),
    "dev_zero": (
        _in_sessions(lambda d: os.symlink("/dev/zero", d / "zero.jsonl")),
        {("unreadable", f"{SESSIONS}/zero.jsonl")},
        (),
    ),
    "directory": (_in_sessions(_dir), {("unreadable", f"{SESSIONS}/folder.jsonl")}, ()),
    "symlink_to_dot": (
        _in_sessions(lambda d: os.symlink(".", d / "dot.jsonl")),
        {("unreadable", f"{SESSIONS}/dot.jsonl")},
        (),
    ),
    "symlink_loop": (
        _in_sessions(_loop),
        {("unreadable", f"{SESSIONS}/a.jsonl"), ("unreadable", f"{SESSIONS}/b.jsonl")},
        (),
    ),
    "dangling_link": (
        _in_sessions(lambda d: os.symlink("nowhere/x.jsonl", d / "gone.jsonl")),
        {("unreadable", f"{SESSIONS}/gone.jsonl")},
        (),
    ),
    "garbage_agent_db": (_garbage_agent_db, {("unreadable", AGENT_DB)}, ()),
    "negative_usage": (_append(NEGATIVE), {("absurd_number", "first")}, ("*",)),
}


def _build_jsonl(root: Path) -> None:
    shutil.copytree(sample(JSONL_ERA), root)


@pytest.mark.parametrize("case", sorted(JSONL_CASES))
def test_hostile_jsonl_era_state(tmp_path: Path, case: str) -> None:
    mutate, expected, may_differ = JSONL_CASES[case]
    out = run_pair_cli(tmp_path, _build_jsonl, mutate)
    first = str(_first(tmp_path / "hostile").relative_to(tmp_path / "hostile"))
    assert out.codes() == {(c, first if p == "first" else p) for c, p in expected}, out.problems
    assert all(p["reason"] and p["location"] for p in out.problems)
    if may_differ != ("*",):
        assert out.differences("cursors", *may_differ) == []
    else:  # the data of every transcript is there
        assert {r[:2] for r in out.hostile["raw_entries"]} >= {r[:2] for r in out.clean["raw_entries"]}


def _corrupt_event(root: Path) -> None:
    with sqlite3.connect(root / AGENT_DB) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        sid, seq, raw = conn.execute(
            "SELECT session_id, seq, CAST(event_json AS BLOB) FROM transcript_events "
            'WHERE event_json LIKE \'%"role":"user"%\' ORDER BY session_id, seq LIMIT 1'
        ).fetchone()
        bad = raw.replace(b'"content":', b'"content\xff\xfe":', 1)
        conn.execute(
            "UPDATE transcript_events SET event_json = CAST(? AS TEXT) WHERE session_id = ? AND seq = ?",
            (bad, sid, seq),
        )


def _build_sqlite(root: Path) -> None:
    shutil.copytree(sample(SQLITE_ERA), root)


def test_hostile_sqlite_era_invalid_utf8(tmp_path: Path) -> None:
    out = run_pair_cli(tmp_path, _build_sqlite, _corrupt_event)
    assert out.codes() == {("invalid_utf8", AGENT_DB)}
    assert [r[:2] for r in out.hostile["raw_entries"]] == [r[:2] for r in out.clean["raw_entries"]]


def test_hostile_sqlite_era_garbage_store(tmp_path: Path) -> None:
    out = run_pair_cli(tmp_path, _build_sqlite, _garbage_agent_db)
    (p,) = out.problems
    assert (p["code"], p["path"]) == ("unreadable", f"<root>/{AGENT_DB}") and "not an SQLite database" in p[
        "reason"
    ]


def test_hostile_unreadable_transcript(tmp_path: Path) -> None:
    out = run_pair_cli(tmp_path, _build_jsonl, lambda root: os.chmod(_first(root), 0), unprivileged=True)
    (p,) = out.problems
    assert p["code"] == "unreadable" and "ermission denied" in p["reason"]

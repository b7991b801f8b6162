"""`clawscope vacuum`: a dry run changes nothing, a run prunes only the text of idle sessions and keeps
every number the CLI prints, and a bad retention setting is a one-line error. The sessions are dated
2001 and 2999, so which one is idle for 3,650 days does not depend on today's date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.test_settings_errors import one_line_error
from tests.support.builders import assistant, header, jsonl, state_dir, user
from tests.support.cli import invoke

OLD, NEW = "0ld00000-0000-0000-0000-000000000000", "9e900000-0000-0000-0000-000000000000"


def _session(sessions: Path, session_id: str, year: int) -> None:
    ts = f"{year}-01-01T10:00:0%d.000Z"
    records = [
        {**header(session_id), "timestamp": ts % 0},
        user("please summarise the quarterly numbers", ts=ts % 1),
        assistant(ts=ts % 2, cost=0.25),
    ]
    (sessions / f"{session_id}.jsonl").write_text(jsonl(records))


@pytest.fixture
def db(runner: CliRunner, tmp_path: Path) -> str:
    sessions = state_dir(tmp_path / "state")
    _session(sessions, OLD, 2001)
    _session(sessions, NEW, 2999)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    invoke(runner, "ingest", str(tmp_path / "state"), "--db", url, "--no-detect")
    return url


def _numbers(runner: CliRunner, db: str) -> list[str]:
    return [
        invoke(runner, "stats", "--db", db, "--json", *by)[0]
        for by in ([], ["--by", "model"], ["--by", "day"], ["--by", "agent"])
    ] + [invoke(runner, "sessions", "--db", db, "--json")[0]]


def test_vacuum_prunes_idle_text_and_keeps_every_number(runner: CliRunner, db: str) -> None:
    before = _numbers(runner, db)
    dry = json.loads(invoke(runner, "vacuum", "--db", db, "--days", "3650", "--dry-run", "--json")[0])
    assert (dry["dryRun"], dry["sessions"], dry["entries"], dry["vacuumed"]) == (True, 1, 3, False)
    assert dry["textBytes"] > 0 and dry["bytesReclaimed"] == 0
    out = invoke(runner, "vacuum", "--db", db, "--days", "3650", "--dry-run")[0]
    assert "would prune the transcript text of 1 sessions" in out and "nothing was changed" in out
    assert _numbers(runner, db) == before
    out = invoke(runner, "vacuum", "--db", db, "--days", "3650")[0]
    assert "pruned the transcript text of 1 sessions" in out and "3 entries" in out and "reclaimed" in out
    assert _numbers(runner, db) == before
    again = json.loads(invoke(runner, "vacuum", "--db", db, "--days", "3650", "--json")[0])
    assert (again["sessions"], again["vacuumed"]) == (0, False)


def test_the_setting_is_read_and_a_bad_one_is_one_line(
    runner: CliRunner, db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one_line_error(runner, ["vacuum", "--db", db], 2, "no retention is set")
    monkeypatch.setenv("CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS", "3650")
    out = json.loads(invoke(runner, "vacuum", "--db", db, "--dry-run", "--json")[0])
    assert (out["retentionDays"], out["sessions"]) == (3650, 1)
    for bad, said in (("-5", "not -5"), ("ninety", "whole number of days"), ("2.5", "whole number")):
        monkeypatch.setenv("CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS", bad)
        one_line_error(runner, ["vacuum", "--db", db], 2, "transcript_retention_days must be")
        one_line_error(runner, ["stats", "--db", db], 2, said)  # every command reads the settings
    monkeypatch.delenv("CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS")
    cfg = tmp_path / "config.toml"
    cfg.write_text("transcript_retention_days = -1\n")
    monkeypatch.setenv("CLAWSCOPE_CONFIG", str(cfg))
    one_line_error(runner, ["vacuum", "--db", db], 2, "transcript_retention_days must be 0 (keep forever)")
    monkeypatch.delenv("CLAWSCOPE_CONFIG")
    one_line_error(runner, ["vacuum", "--db", db, "--days", "0"], 2, "--days must be at least 1")
    one_line_error(runner, ["vacuum", "--db", db, "--days", "x"], 2, "--days must be a whole number")
    one_line_error(
        runner, ["vacuum", "--db", str(Path(db[10:]).parent / "none.db"), "--days", "9"], 1, "no database"
    )

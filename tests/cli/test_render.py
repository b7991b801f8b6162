"""Tables at 80 columns: every line fits, no useful cell is cut (`fake/…`, `$0.47…`), long names wrap or
columns are left out (and said so); piped output is plain text; the CSV of a table command comes from
the one CSV writer."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from clawscope.cli import cli, render
from clawscope.web.dashboard import render as dashboard_render
from tests.support.builders import assistant, state_dir, user, write_session
from tests.support.cli import invoke

MODELS = ("fake/very-long-model-name-that-goes-on-2026-11", "anthropic/claude-sonnet-4-5", "x/y")
ANSI = re.compile(r"\x1b\[")


def group(i: int, key: str) -> dict[str, Any]:
    provider, name = key.split("/", 1)
    return {
        "key": name,
        "provider": provider,
        "costUSD": [0.4712345, 1234.5, 0.0][i % 3],
        "estimatedCostUSD": 0.0,
        "llmCalls": 123_456,
        "errors": 12,
        "tokensIn": 987_654_321,
        "tokensOut": 12_345_678,
        "toolCalls": 45_678,
        "sessions": 1_234,
    }


def session(i: int) -> dict[str, Any]:
    return {
        "lastAt": "2026-11-01T10:00:01.000Z",
        "agent": "operations-agent",
        "kind": "subagent",
        "label": None,
        "key": f"agent:operations-agent:subagent:0f4a7e2c-1b2d-4c5e-8f90-{i:012d}",
        "sessionId": "s",
        "costUSD": 0.4712345,
        "llmCalls": 1_234,
        "toolCalls": 567,
        "errors": 3,
    }


def rendered(monkeypatch: pytest.MonkeyPatch, terminal: bool, draw: Any) -> str:
    out = io.StringIO()
    con = Console(file=out, width=80, force_terminal=terminal, no_color=not terminal)
    monkeypatch.setattr(render, "console", lambda: con)
    monkeypatch.setattr(render.sys, "stdout", out)
    draw()
    return out.getvalue()


def assert_fits(text: str) -> None:
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert plain.strip()
    assert max(len(line) for line in plain.splitlines()) <= 80, plain
    assert "…" not in plain, plain


@pytest.mark.parametrize("terminal", [True, False])
def test_groups_fit_80_columns_with_whole_numbers(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    groups = [group(i, m) for i, m in enumerate(MODELS)]
    text = rendered(monkeypatch, terminal, lambda: render.print_groups("model", groups))
    assert_fits(text)
    for cost in ("$0.4712", "$1,234.50", "$0.0000", "123,456"):
        assert cost in text
    assert "anthropic/claude-sonnet-4-5" in text  # a name that fits its column is never cut
    assert "not shown at 80 columns:" in text  # some columns left out, and said so
    assert bool(ANSI.search(text)) is terminal


@pytest.mark.parametrize("terminal", [True, False])
def test_sessions_fit_80_columns(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    rows = [session(i) for i in range(3)]
    text = rendered(monkeypatch, terminal, lambda: render.print_sessions(rows))
    assert_fits(text)
    assert text.count("$0.4712") == 3
    if terminal:
        assert rows[0]["key"][:20] in text
        return
    # piped: the long keys wrap inside their column, whole and in order
    lines = text.splitlines()
    start = lines[1].index("key / label")
    first = lines[2][start:]
    width = len(first.split(" ", 1)[0])
    column = "".join(line[start : start + width].strip() for line in lines[2:] if not line.startswith("("))
    assert column == "".join(r["key"] for r in rows)


def test_wide_terminal_shows_every_column(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    con = Console(file=out, width=200, force_terminal=False)
    monkeypatch.setattr(render, "console", lambda: con)
    monkeypatch.setattr(render.sys, "stdout", out)
    render.print_groups("model", [group(0, MODELS[0])])
    header = out.getvalue().splitlines()[1].split()
    assert header == [
        "model",
        "cost",
        "calls",
        "errors",
        "tokens",
        "in",
        "tokens",
        "out",
        "tool",
        "calls",
        "sessions",
    ]
    assert "not shown" not in out.getvalue()


def test_piped_cli_tables_are_plain_and_fit_80_columns(
    runner: CliRunner, fixture_copy, tmp_path: Path
) -> None:
    db = str(tmp_path / "c.db")
    invoke(runner, "ingest", str(fixture_copy("openclaw-2026.3.24-jsonl")), "--db", db)
    env = {"COLUMNS": "80"}
    for args in (["stats", "--by", "model"], ["stats", "--by", "tool"], ["sessions"], ["problems"]):
        result = runner.invoke(cli, [*args, "--db", db], env=env, catch_exceptions=False)
        assert result.exit_code == 0
        assert_fits(result.stdout)
        assert not ANSI.search(result.stdout)
        assert not set("│┃━─┏┡└") & set(result.stdout)  # no box drawing when piped
        assert all(line == line.rstrip() for line in result.stdout.splitlines())
    sessions = json.loads(invoke(runner, "sessions", "--db", db, "--format", "json")[0])
    table = runner.invoke(cli, ["sessions", "--db", db], env=env).stdout
    for s in sessions:
        assert f"${s['costUSD']:,.4f}" in table or f"${s['costUSD']:,.2f}" in table


def test_csv_format_comes_from_the_one_csv_writer(runner: CliRunner, fixture_copy, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    invoke(runner, "ingest", str(fixture_copy("openclaw-2026.3.24-jsonl")), "--db", db)
    as_json = json.loads(invoke(runner, "stats", "--db", db, "--by", "model", "--format", "json")[0])
    rows = list(
        csv.DictReader(
            io.StringIO(invoke(runner, "stats", "--db", db, "--by", "model", "--format", "csv")[0])
        )
    )
    assert [r["key"] for r in rows] == [g["key"] for g in as_json["groups"]]
    assert [float(r["costUSD"]) for r in rows] == pytest.approx([g["costUSD"] for g in as_json["groups"]])


def test_a_count_agrees_with_its_noun() -> None:
    assert render.counted(1, "session") == "1 session"
    assert render.counted(0, "session") == "0 sessions"
    assert render.counted(2, "entry") == "2 entries"
    assert render.counted(1_204, "pass") == "1,204 passes"
    assert dashboard_render.counted(1, "error") == "1 error"
    assert dashboard_render.counted(3, "error") == "3 errors"
    assert dashboard_render.counted(1, "pass") == "1 pass"


def test_ingest_says_one_session_and_one_new_problem(runner: CliRunner, tmp_path: Path) -> None:
    sessions = state_dir(tmp_path / "state")
    write_session(sessions, "a0000000-0000-0000-0000-000000000000", [user("hi"), assistant()])
    (sessions / "b0000000-0000-0000-0000-000000000000.jsonl").write_text("not json\n")
    out, _ = invoke(runner, "ingest", str(tmp_path / "state"), "--db", str(tmp_path / "c.db"), "--no-detect")
    assert out.startswith("ingested 1 session, ")
    assert " 1 model call, " in out and "; 1 new problem (clawscope problems)" in out

"""The CLI: documented JSON shapes, filters, and clean errors (never a traceback) for user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.cli import cli
from tests.support.builders import assistant, state_dir, write_session

TOTAL_KEYS = {
    "avgLatencyMs",
    "cacheHitRate",
    "tokensPerDollar",
    "sessions",
    "messages",
    "llmCalls",
    "toolCalls",
    "toolErrors",
    "tokensIn",
    "tokensOut",
    "cacheRead",
    "cacheWrite",
    "totalTokens",
    "costUSD",
    "estimatedCostUSD",
    "errors",
}


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_ingest_stats_sessions_problems_json(runner: CliRunner, fixture_copy, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    state = fixture_copy("openclaw-2026.3.24-jsonl")
    out = json.loads(run(runner, "ingest", str(state), "--db", db, "--json"))
    assert set(out) == {"ingested", "problems"}
    assert out["ingested"] == {
        "files": 4,
        "sessions": 4,
        "entries": 39,
        "llmCalls": 13,
        "toolCalls": 3,
        "cronRuns": 1,
        "subagentRuns": 1,
    }
    assert out["problems"] == 0
    stats = json.loads(run(runner, "stats", "--db", db, "--json"))
    assert set(stats) == {"period", "totals", "by", "groups"}
    assert set(stats["totals"]) == TOTAL_KEYS
    assert stats["totals"]["llmCalls"] == 13
    by_model = json.loads(run(runner, "stats", "--db", db, "--json", "--by", "model"))
    assert [(g["key"], g["provider"], g["llmCalls"]) for g in by_model["groups"]] == [
        ("fake-model", "fake", 13)
    ]
    assert set(by_model["groups"][0]) >= TOTAL_KEYS
    by_day = json.loads(run(runner, "stats", "--db", db, "--json", "--by", "day"))
    assert [g["key"] for g in by_day["groups"]] == ["2026-11-21"]
    subs = json.loads(run(runner, "sessions", "--db", db, "--json", "--kind", "subagent"))
    assert [s["label"] for s in subs] == ["child-1"]
    assert json.loads(run(runner, "problems", "--db", db, "--json")) == []


def test_time_filters(runner: CliRunner, fixture_copy, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    run(runner, "ingest", str(fixture_copy("openclaw-2026.3.24-jsonl")), "--db", db)
    before = json.loads(run(runner, "stats", "--db", db, "--json", "--until", "2026-11-21T05:29:00Z"))
    after = json.loads(run(runner, "stats", "--db", db, "--json", "--since", "2026-11-21T05:29:00Z"))
    assert before["period"] == {"from": None, "to": "2026-11-21T05:29:00.000Z"}
    assert before["totals"]["llmCalls"] + after["totals"]["llmCalls"] == 13
    assert before["totals"]["llmCalls"] == 6  # the turns of 05:28; the 500s, cron and API turn came after
    assert (
        json.loads(run(runner, "stats", "--db", db, "--json", "--since", "2027-01-01"))["totals"]["llmCalls"]
        == 0
    )


def test_problems_are_listed_with_where_and_why(runner: CliRunner, tmp_path: Path) -> None:
    sessions = state_dir(tmp_path / "state")
    path = write_session(sessions, "bad00000-0000-0000-0000-000000000000", [assistant()])
    with path.open("a") as fh:
        fh.write("{not json}\n")
    db = str(tmp_path / "c.db")
    out = json.loads(run(runner, "ingest", str(tmp_path / "state"), "--db", db, "--json"))
    assert out["problems"] == 1
    (problem,) = json.loads(run(runner, "problems", "--db", db, "--json"))
    assert (problem["code"], problem["location"], problem["severity"]) == ("invalid_json", "line 3", "error")
    assert problem["path"] == str(path) and problem["excerpt"] == "{not json}"
    assert "invalid_json" in run(runner, "problems", "--db", db)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "/nonexistent/state"], "not a directory"),
        (["stats", "--since", "yesterday-ish"], "invalid --since"),
        (["stats", "--db", "mysql://x/y"], "unsupported database"),
    ],
)
def test_user_mistakes_get_one_clean_line(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    if args[0] != "ingest" and "--db" not in args:
        args = [*args, "--db", str(tmp_path / "c.db")]
    result = runner.invoke(cli, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_ingest_a_folder_that_is_not_openclaw_state(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(cli, ["ingest", str(tmp_path / "empty"), "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "does not look like an OpenClaw state dir" in result.output


def test_ingest_without_discoverable_state_says_what_to_do(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["ingest", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "no OpenClaw state dir found" in result.output


def test_discovery_uses_openclaw_state_dir(
    runner: CliRunner, fixture_copy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENCLAW_STATE_DIR", str(fixture_copy("openclaw-2026.9.6-sqlite")))
    monkeypatch.setenv("CLAWSCOPE_DB", str(tmp_path / "env.db"))
    out = json.loads(run(runner, "ingest", "--json"))
    assert out["ingested"]["llmCalls"] == 8
    assert (tmp_path / "env.db").exists()


def test_every_command_help_ends_with_an_example(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        text = run(runner, name, "--help")
        assert "Example" in text, name
        if isinstance(command, type(cli)):
            for sub in command.commands:
                assert "Example" in run(runner, name, sub, "--help"), f"{name} {sub}"


def test_report_without_openclaw_reports_a_demo_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home" / ".clawscope"
    out = run(runner, "report")
    assert "DEMO DATA" in out
    assert (home / "demo-state" / "demo-totals.json").is_file()
    assert (home / "demo.db").is_file()
    assert not (home / "clawscope.db").exists()  # the user's own database is never filled with demo data
    totals = json.loads((home / "demo-state" / "demo-totals.json").read_text())
    stats = json.loads(run(runner, "stats", "--db", str(home / "demo.db"), "--json"))
    assert stats["totals"]["llmCalls"] == totals["llmCalls"]
    assert run(runner, "report").count("DEMO DATA") == 1  # the second run re-uses the demo state


def test_report_on_real_state(runner: CliRunner, fixture_copy, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    out = run(runner, "report", "--state", str(fixture_copy("openclaw-2026.3.24-jsonl")), "--db", db)
    assert "DEMO" not in out
    assert "$0.1757" in out.replace(",", "")  # the exact reported cost of the sample
    assert "most expensive sessions" in out


def test_every_command_module_is_registered() -> None:
    import pkgutil

    import clawscope.cli
    from clawscope.cli import GROUPS

    with_commands = set()
    for m in pkgutil.iter_modules(clawscope.cli.__path__):
        if m.name == "__main__":  # runs the command line when imported
            continue
        module = __import__(f"clawscope.cli.{m.name}", fromlist=["COMMANDS"])
        if getattr(module, "COMMANDS", None):
            with_commands.add(module)
    assert with_commands == set(GROUPS)
    registered = {c.name for g in GROUPS for c in g.COMMANDS}
    assert registered == set(cli.commands)
    assert {
        "ingest",
        "report",
        "stats",
        "sessions",
        "problems",
        "receipts",
        "serve",
        "api-key",
        "sync",
        "demo",
    } <= registered

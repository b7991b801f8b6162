"""`clawscope alerts …`: add (bad input is a one-line error, never a traceback), list, test against a real
receiver, check (exit 1 while something fires, `--json`), history, silence, rm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.store import Store
from clawscope.timeutil import now_ms
from tests.support.alerts import MIN_MS, Transcripts
from tests.support.cli import invoke
from tests.support.receivers import HttpReceiver


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--measure", "vibes", "--threshold", "1"], "unknown measure 'vibes'"),
        (["--measure", "cost", "--threshold", "-1"], "threshold must not be negative"),
        (["--measure", "cost", "--threshold", "1", "--channel", "slack=nota url"], "malformed slack URL"),
        (
            ["--measure", "cost", "--threshold", "1", "--channel", "ntfy=http://no-such-host.invalid/t"],
            "unreachable host",
        ),
        (["--measure", "cost", "--threshold", "1", "--channel", "slack"], "expected KIND=URL"),
        (["--measure", "cost", "--threshold", "1", "--scope", "agent"], "expected DIMENSION=VALUE"),
    ],
)
def test_bad_rules_are_clear_errors(runner: CliRunner, sqlite_url: str, args: list[str], says: str) -> None:
    result = runner.invoke(
        __import__("clawscope.cli", fromlist=["cli"]).cli,
        ["alerts", "add", "--db", sqlite_url, "--name", "x", *args],
    )
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_add_check_test_history_silence_rm(runner: CliRunner, sqlite_url: str, tmp_path: Path) -> None:
    tx = Transcripts(tmp_path / "state")
    tx.call("s1", now_ms() - MIN_MS, 2.0)  # relative to the wall clock `check` runs on
    with Store(sqlite_url) as store:
        tx.ingest(store)
    with HttpReceiver() as receiver:
        out, _ = invoke(
            runner, "alerts", "add", "--db", sqlite_url, "--name", "big session", "--measure", "session_cost",
            "--threshold", "1", "--window", "1h", "--channel", f"webhook={receiver.url}/h", "--secret", "s3",
            "--json",
        )  # fmt: skip
        rule = json.loads(out)
        assert rule["channels"][0]["hasSecret"] is True
        assert "s3" not in out
        listed, _ = invoke(runner, "alerts", "list", "--db", sqlite_url, "--json")
        assert {r["id"] for r in json.loads(listed)} >= {rule["id"], "default-session-cost"}
        checked, _ = invoke(runner, "alerts", "check", "--db", sqlite_url, "--json", code=1)
        found = json.loads(checked)
        assert [a["scope"] for a in found["fired"]] == ["session=s1"]
        assert [f["scope"] for f in found["firing"]] == ["session=s1"]
        (req,) = receiver.requests
        assert json.loads(req.body)["type"] == "alert.firing"
        again, _ = invoke(runner, "alerts", "check", "--db", sqlite_url, code=1)  # still firing: no new alert
        assert "FIRING" not in again
        assert len(receiver.requests) == 1
        sent, _ = invoke(runner, "alerts", "test", "--db", sqlite_url, rule["id"])
        assert "sent" in sent
        assert len(receiver.requests) == 2
        hist, _ = invoke(runner, "alerts", "history", "--db", sqlite_url, "--json")
        assert [h["kind"] for h in json.loads(hist)] == ["test", "firing"]
    silenced, _ = invoke(runner, "alerts", "silence", "--db", sqlite_url, rule["id"], "--until", "2h")
    assert silenced.startswith("silence ")
    invoke(runner, "alerts", "rm", "--db", sqlite_url, rule["id"])
    _, err = invoke(runner, "alerts", "rm", "--db", sqlite_url, rule["id"], code=1)
    assert "no alert rule" in err
    quiet, _ = invoke(runner, "alerts", "check", "--db", sqlite_url)
    assert "nothing fires" in quiet

"""`clawscope detect`: the JSON contract, the table, `--family`, `--since` and `--fail-on` exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.timeutil import parse_iso_ms
from tests.detect.doubles import registered
from tests.support import builders as b
from tests.support.cli import invoke

FINDING_KEYS = {
    "id",
    "detector",
    "family",
    "severity",
    "confidence",
    "sessionId",
    "agent",
    "entryIds",
    "message",
    "evidence",
    "firstAt",
    "lastAt",
}


@pytest.fixture(autouse=True)
def only_the_test_detector() -> Iterator[None]:
    with registered():
        yield


def failing(call_id: str) -> list[dict]:
    call = b.assistant(tools=[b.tool_call(call_id, "exec", command="false")])
    return [call, b.tool_result(call_id, "exec", error=True)]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    sessions = b.state_dir(tmp_path / "openclaw")
    b.write_session(sessions, "bad-1", [b.user("go"), *failing("c1"), *failing("c2")], key="agent:main:main")
    b.write_session(sessions, "ok-1", [b.user("hi"), b.assistant()], key="agent:main:telegram:group:7")
    return tmp_path / "openclaw"


def test_json_shape(runner: CliRunner, state: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    out, _ = invoke(runner, "detect", str(state), "--db", db, "--json")
    data = json.loads(out)
    assert set(data) == {"findings", "sessions"} and data["sessions"] == 2
    assert len(data["findings"]) == 2
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert (f["detector"], f["family"], f["severity"], f["sessionId"], f["agent"]) == (
            "test.failed-tool",
            "tool_abuse",
            "warning",
            "bad-1",
            "main",
        )
        assert isinstance(f["confidence"], float) and isinstance(f["evidence"], dict)
        assert isinstance(f["entryIds"], list) and len(f["entryIds"]) == 2
        assert parse_iso_ms(f["firstAt"]) == parse_iso_ms(f["lastAt"])
        assert f["evidence"] == {"tool": "exec", "error": "boom"}
    # no state dir: the database as it is, the same findings (same ids)
    again = json.loads(invoke(runner, "detect", "--db", db, "--json")[0])
    assert [f["id"] for f in again["findings"]] == [f["id"] for f in data["findings"]]
    later = json.loads(invoke(runner, "detect", "--db", db, "--json", "--since", "2099-01-01")[0])
    assert later == {"findings": [], "sessions": 0}
    other = json.loads(invoke(runner, "detect", "--db", db, "--json", "--family", "loop")[0])
    assert other == {"findings": [], "sessions": 2}


@pytest.mark.parametrize(("severity", "code"), [("info", 1), ("warning", 1), ("critical", 0)])
def test_fail_on_exit_codes(runner: CliRunner, state: Path, tmp_path: Path, severity: str, code: int) -> None:
    invoke(runner, "detect", str(state), "--db", str(tmp_path / "c.db"), "--fail-on", severity, code=code)


def test_fail_on_passes_on_clean_sessions_and_other_families(
    runner: CliRunner, state: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "c.db")
    invoke(runner, "detect", str(state), "--db", db, "--fail-on", "info", "--family", "loop")
    clean = tmp_path / "clean"
    b.write_session(b.state_dir(clean), "ok-2", [b.user("hi"), b.assistant()], key="agent:main:main")
    invoke(runner, "detect", str(clean), "--db", str(tmp_path / "d.db"), "--fail-on", "info")


def test_table_and_clean_errors(runner: CliRunner, state: Path, tmp_path: Path) -> None:
    out, _ = invoke(runner, "detect", str(state), "--db", str(tmp_path / "c.db"))
    assert "2 findings in 2 sessions" in out and "tool_abuse" in out and "warning" in out
    result = runner.invoke(
        __import__("clawscope.cli", fromlist=["cli"]).cli,
        ["detect", "--db", str(tmp_path / "c.db")],
        env={"CLAWSCOPE_DETECTORS": '{"lop": {}}'},
    )
    assert result.exit_code != 0 and "detectors.lop" in result.output and "Traceback" not in result.output
    _, err = invoke(runner, "detect", str(tmp_path / "nope"), "--db", str(tmp_path / "c.db"), code=2)
    assert "not a directory" in err

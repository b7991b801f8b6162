"""`clawscope demo`: a one-line summary, clean refusals, an example in --help."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from clawscope.cli import cli


def test_help_ends_with_an_example() -> None:
    result = CliRunner().invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "Example:\n    clawscope demo /tmp/claw-demo" in result.output
    assert "--era [jsonl|sqlite]" in result.output


def test_writes_and_summarises(tmp_path: Path) -> None:
    out = tmp_path / "state"
    result = CliRunner().invoke(cli, ["demo", str(out), "--sessions", "9", "--agents", "2", "--seed", "4"])
    assert result.exit_code == 0, result.output
    totals = json.loads((out / "demo-totals.json").read_text())
    assert result.output.startswith(
        f"wrote 9 sessions ({totals['records']} records, {totals['llmCalls']} model"
    )
    assert result.output.count("\n") == 1
    again = CliRunner().invoke(cli, ["demo", str(out), "--sessions", "9", "--era", "sqlite"])
    assert again.exit_code == 0, again.output  # a previous demo may be replaced


def test_refuses_a_non_empty_directory_cleanly(tmp_path: Path) -> None:
    (tmp_path / "important.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    assert (tmp_path / "important.txt").read_text() == "keep me"


def test_bad_values_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "x"), "--sessions", "0"])
    assert result.exit_code == 2
    assert "error: --sessions" in result.output
    result = CliRunner().invoke(cli, ["demo", str(tmp_path / "x"), "--era", "csv"])
    assert result.exit_code == 2

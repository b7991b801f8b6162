"""Running the command line in-process (click's runner): its stdout and stderr, and its exit code checked."""

from __future__ import annotations

from click.testing import CliRunner

from clawscope.cli import cli


def invoke(runner: CliRunner, *args: str, code: int = 0) -> tuple[str, str]:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout, result.stderr

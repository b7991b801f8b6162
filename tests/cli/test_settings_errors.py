"""Bad settings fail at once, in one line, before anything is created or started: a database that does
not exist (read-only commands never create one), one that is not clawscope's, one that cannot be
reached, a port out of range or in use, an unknown `--kind`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.cli import cli


def one_line_error(runner: CliRunner, args: list[str], code: int, message: str) -> str:
    result = runner.invoke(cli, args)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    err = result.stderr
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err, err
    assert "Traceback" not in result.output
    return err


@pytest.mark.parametrize("command", [["stats"], ["sessions"], ["problems"], ["export", "sessions"]])
def test_read_only_commands_never_create_a_database(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    one_line_error(runner, [*command, "--db", "notaurl"], 1, "no database at")
    one_line_error(runner, [*command, "--db", str(tmp_path / "sub" / "c.db")], 1, "nothing was created")
    assert list(tmp_path.iterdir()) == []  # no ./notaurl, no sub/, no home


def test_the_default_database_is_not_created_by_a_read_only_command(
    runner: CliRunner, tmp_path: Path
) -> None:
    one_line_error(runner, ["stats"], 1, "run `clawscope ingest` first")
    assert not (tmp_path / "home" / ".clawscope").exists()


@pytest.mark.postgres
def test_a_postgresql_database_without_clawscope_tables_is_refused_and_left_empty(
    runner: CliRunner, pg_url: str
) -> None:
    from sqlalchemy import create_engine, inspect

    one_line_error(runner, ["stats", "--db", pg_url], 1, "is not a clawscope database")
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_an_unreachable_database_is_one_line(runner: CliRunner) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        err = one_line_error(
            runner,
            ["stats", "--db", f"postgresql://u:secret@127.0.0.1:{port}/x"],
            1,
            "cannot open the database",
        )
    assert "secret" not in err


@pytest.mark.parametrize("command", [["stats"], ["sessions"], ["export", "sessions"]])
def test_an_unknown_kind_is_refused(runner: CliRunner, tmp_path: Path, command: list[str]) -> None:
    db = tmp_path / "c.db"
    one_line_error(runner, [*command, "--kind", "nonsense", "--db", str(db)], 2, "unknown --kind 'nonsense'")
    assert not db.exists()


def test_a_port_out_of_range_is_one_line_and_nothing_starts(runner: CliRunner, tmp_path: Path) -> None:
    one_line_error(runner, ["serve", "--port", "99999"], 2, "port 99999 is out of range")
    assert not (tmp_path / "home" / ".clawscope").exists()  # no demo state, no database


def test_a_port_in_use_is_one_line_and_prints_no_login_link(runner: CliRunner, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        err = one_line_error(runner, ["serve", "--port", str(port)], 2, f"port {port} on 127.0.0.1 is in use")
    assert "login" not in err
    assert not (tmp_path / "home" / ".clawscope").exists()

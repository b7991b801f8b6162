"""Database URLs as users type them: one normaliser, `~` expanded for the file that is opened too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.cli import cli
from clawscope.dburl import normalize, sqlite_url
from clawscope.store import Store


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_urls_users_type(url: str, expected: str) -> None:
    assert normalize(url) == expected


def test_a_bare_path_is_a_sqlite_file(tmp_path) -> None:
    assert normalize(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"


def test_a_tilde_in_a_sqlite_url_is_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert normalize("sqlite:///~/x/c.db") == f"sqlite:///{tmp_path}/x/c.db"
    assert normalize("sqlite:///~/c.db?mode=rw") == f"sqlite:///{tmp_path}/c.db?mode=rw"
    assert sqlite_url("~/d.db") == f"sqlite:///{tmp_path}/d.db"
    assert normalize("sqlite:////abs/c.db") == "sqlite:////abs/c.db"  # absolute paths stay as they are


def test_the_store_opens_the_expanded_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with Store("sqlite:///~/new/folder/c.db") as store:
        assert store.row_counts()["problems"] == 0
    assert (tmp_path / "new" / "folder" / "c.db").is_file()
    assert not (Path.cwd() / "~").exists()


def test_db_flag_with_a_tilde(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bug: `--db sqlite:///~/x.db` created ~/ but opened './~/x.db' ("unable to open database file")."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLAWSCOPE_DB", raising=False)
    # a read-only command creates nothing, and names the file it looked for with `~` expanded
    result = CliRunner().invoke(cli, ["problems", "--db", "sqlite:///~/dbs/x.db", "--json"])
    assert result.exit_code == 1 and f"no database at {tmp_path / 'dbs' / 'x.db'}" in result.stderr
    assert not (tmp_path / "dbs").exists() and not (tmp_path / "~").exists()
    Store("sqlite:///~/dbs/x.db").close()  # a writer creates it where `~` points
    result = CliRunner().invoke(cli, ["problems", "--db", "sqlite:///~/dbs/x.db", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []
    assert (tmp_path / "dbs" / "x.db").is_file()
    assert not (tmp_path / "~").exists()

"""Settings precedence: flag > CLAWSCOPE_* environment > config file > default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clawscope.config import load_settings
from clawscope.errors import ConfigError


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[clawscope]\nport = 9000\nhost = "0.0.0.0"\ndb = "sqlite:///file.db"\n')
    s = load_settings(env={}, config_file=cfg)
    assert (s.port, s.host, s.db) == (9000, "0.0.0.0", "sqlite:///file.db")
    s = load_settings(env={"CLAWSCOPE_PORT": "9100", "CLAWSCOPE_DB": "sqlite:///env.db"}, config_file=cfg)
    assert (s.port, s.host, s.db) == (9100, "0.0.0.0", "sqlite:///env.db")
    s = load_settings({"port": 9200, "db": None}, env={"CLAWSCOPE_PORT": "9100"}, config_file=cfg)
    assert (s.port, s.db) == (9200, "sqlite:///file.db")


def test_defaults_and_derived_values(tmp_path: Path) -> None:
    s = load_settings(env={"CLAWSCOPE_HOME": str(tmp_path)}, config_file=tmp_path / "missing.toml")
    assert (s.host, s.port, s.no_auth) == ("127.0.0.1", 8765, False)  # loopback unless told otherwise
    assert s.db_url == f"sqlite:///{tmp_path / 'clawscope.db'}"
    s = load_settings(
        env={"CLAWSCOPE_STATE_DIRS": "/a:/b", "CLAWSCOPE_NO_AUTH": "yes"}, config_file=tmp_path / "x"
    )
    assert s.state_dirs == (Path("/a"), Path("/b")) and s.no_auth is True


@pytest.mark.parametrize("env", [{"CLAWSCOPE_PORT": "eighty"}, {"CLAWSCOPE_NO_AUTH": "perhaps"}])
def test_invalid_values_are_config_errors(env: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(env=env, config_file=tmp_path / "none.toml")


def test_unreadable_config_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("port = [unclosed")
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(env={}, config_file=bad)


def test_transcript_retention_days_is_whole_days_or_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("transcript_retention_days = 90\n")
    assert load_settings(env={}, config_file=cfg).transcript_retention_days == 90
    env = {"CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS": "30"}
    assert load_settings(env=env, config_file=cfg).transcript_retention_days == 30
    assert load_settings(env={}, config_file=tmp_path / "none").transcript_retention_days == 0  # forever
    for bad, said in (
        ("-1", "must be 0 (keep forever) or a positive number of days, not -1"),
        ("thirty", "must be a whole number of days (0 = keep forever), not 'thirty'"),
        ("1.5", "must be a whole number of days"),
    ):
        wanted = "^invalid setting: transcript_retention_days " + re.escape(said)
        with pytest.raises(ConfigError, match=wanted):
            load_settings(env={"CLAWSCOPE_TRANSCRIPT_RETENTION_DAYS": bad}, config_file=cfg)
    cfg.write_text("transcript_retention_days = true\n")
    with pytest.raises(ConfigError, match="whole number of days"):
        load_settings(env={}, config_file=cfg)

"""The command line's tests run with a fresh HOME and none of the user's clawscope or OpenClaw settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in (
        "CLAWSCOPE_DB",
        "CLAWSCOPE_HOST",
        "CLAWSCOPE_NO_AUTH",
        "CLAWSCOPE_CONFIG",
        "OPENCLAW_STATE_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()

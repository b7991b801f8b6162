"""The installer names the missing package when the npm registry lacks it (conformance tier: uses npm)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conformance import install
from tests.conformance.releases import AgentRoster, Era, ErrorRows, Release, stamp

pytestmark = pytest.mark.conformance

MISSING = Release("0.0.0-clawscope-does-not-exist", Era.SQLITE, AgentRoster.ENTRIES, ErrorRows.PER_TURN)


def test_missing_registry_package_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("npm") is None:
        pytest.fail("npm is needed by the conformance tier and is not installed")
    monkeypatch.setenv("CLAWSCOPE_CONFORMANCE_CACHE", str(tmp_path))
    with pytest.raises(
        install.InstallError, match=r"npm registry has no package for openclaw@0\.0\.0-clawscope"
    ):
        install.install_release(MISSING)
    assert not stamp(tmp_path / f"openclaw-{MISSING.version}").exists()


def test_cached_install_is_reused_without_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAWSCOPE_CONFORMANCE_CACHE", str(tmp_path))
    target = tmp_path / f"openclaw-{MISSING.version}"
    target.mkdir()
    stamp(target).write_text(MISSING.version)
    monkeypatch.setattr(install, "_npm", lambda: pytest.fail("npm must not run for a stamped install"))
    assert install.install_release(MISSING) is False

"""Shared test fixtures and the tier rules.

Tiers that need a real service (PostgreSQL, Chromium, the real OpenClaw) must run under `CI=true`:
`require()` fails the test there when the service is missing, and only skips on a developer machine.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, why: str) -> None:
    """Skip locally, fail in CI: a tier that CI must run can never silently skip there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {why}")
    pytest.skip(why)


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """Copy a fixture folder into tmp_path (tests never write into the repository)."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst

    return copy

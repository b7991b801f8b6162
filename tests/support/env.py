"""Where the tests are, and the tier rule: a tier that needs a real service (PostgreSQL, Chromium, the real
OpenClaw) must run under `CI=true`: `require()` fails the test there when the service is missing, and
only skips on a developer machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, why: str) -> None:
    """Skip locally, fail in CI: a tier that CI must run can never silently skip there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {why}")
    pytest.skip(why)

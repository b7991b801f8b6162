"""Shared test fixtures and the tier rules.

Tiers that need a real service (PostgreSQL, Chromium, the real OpenClaw) must run under `CI=true`:
`require()` fails the test there when the service is missing, and only skips on a developer machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest

# Property tests are reproducible in CI (the same examples on every run, whatever the date or seed);
# on a developer machine they stay random, to keep finding new cases.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
if IN_CI:
    hypothesis.settings.load_profile("ci")


def require(condition: bool, why: str) -> None:
    """Skip locally, fail in CI: a tier that CI must run can never silently skip there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI=true: {why}")
    pytest.skip(why)


PG_URL = os.environ.get("CLAWSCOPE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_base() -> str:
    require(_pg_available(), f"PostgreSQL at {PG_URL}")
    return PG_URL


@pytest.fixture
def pg_url(pg_base: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    import uuid

    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    raw = pg_base.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends: a real SQLite file, and a fresh schema of the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clawscope.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'clawscope.db'}"


@pytest.fixture
def fixture_copy(tmp_path: Path):
    """Copy a fixture folder into tmp_path (tests never write into the repository)."""

    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst

    return copy

"""Shared test fixtures: both database backends (a real SQLite file, a fresh schema of the real
PostgreSQL), fixture copies, an app over a real database and a real server on loopback; property tests
reproducible in CI. The tier rule is `support.env.require`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import hypothesis
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from tests.support.env import FIXTURES, IN_CI, require
from tests.support.server import LiveServer

# Property tests are reproducible in CI (the same examples on every run, whatever the date or seed);
# on a developer machine they stay random, to keep finding new cases.
hypothesis.settings.register_profile("ci", derandomize=True, database=None)

if IN_CI:
    hypothesis.settings.load_profile("ci")


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


# -- an app over a real database (both backends), and a real server on loopback --------------------


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="test-host")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    # the key of stored secrets lives beside the database (SQLite) or in the test's home (PostgreSQL)
    with Store(settings.db_url, secrets_key_file=settings.secrets_key_path) as s:
        yield s


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def make_key(store: Store) -> Callable[..., str]:
    """`make_key("stats:read", rate_limit=5)` -> a plain API key."""

    def make(*scopes: str, rate_limit: int = 1000, label: str = "test") -> str:
        plain, _ = store.keys.create(label, scopes or ("admin",), rate_limit)
        return plain

    return make


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def no_auth_settings(settings: Settings) -> Settings:
    return replace(settings, no_auth=True)

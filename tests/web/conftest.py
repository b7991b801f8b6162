"""Fixtures for the web layer: an app over a real database, and a real server on loopback."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app


@pytest.fixture
def settings(db_url: str, tmp_path: Any) -> Settings:
    return Settings(db=db_url, home=tmp_path / "home", instance="test-host")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store(settings.db_url) as s:
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


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a thread, serving `app`."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def no_auth_settings(settings: Settings) -> Settings:
    return replace(settings, no_auth=True)

"""`api_keys.last_used_ms` is written: coalesced to once a minute per key, off the request path
(issue 13, item 15)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from clawscope.config import Settings
from clawscope.store import Store
from clawscope.web import create_app
from clawscope.web import state as web_state
from clawscope.web.key_usage import KeyUsage
from tests.support.server import auth

T0 = 1_767_000_000_000
MINUTE = 60_000


class Clock:
    def __init__(self) -> None:
        self.ms = T0

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed_store(settings: Settings, clock: Clock) -> Iterator[Store]:
    with Store(settings.db_url, clock=clock) as s:
        yield s


def test_uses_within_a_minute_are_one_write(timed_store: Store) -> None:
    _, key = timed_store.keys.create("k", ("stats:read",))
    usage = KeyUsage()
    for offset in (0, 1_000, 30_000, MINUTE - 1):
        usage.note(key.key_id, T0 + offset)
    assert usage.pending() == {key.key_id: T0}
    assert usage.flush(timed_store) == 1
    assert timed_store.keys.get(key.key_id).last_used_ms == T0
    usage.note(key.key_id, T0 + 59_000)
    assert usage.flush(timed_store) == 0  # nothing noted: still the same minute
    usage.note(key.key_id, T0 + MINUTE)
    assert usage.flush(timed_store) == 1
    assert timed_store.keys.get(key.key_id).last_used_ms == T0 + MINUTE


def test_processes_sharing_a_database_coalesce_too(timed_store: Store) -> None:
    _, key = timed_store.keys.create("k", ("stats:read",))
    first, second = KeyUsage(), KeyUsage()  # two server processes
    first.note(key.key_id, T0)
    second.note(key.key_id, T0 + 10_000)
    assert first.flush(timed_store) == 1
    assert second.flush(timed_store) == 0  # written 10 s ago by the other process: left alone
    assert timed_store.keys.get(key.key_id).last_used_ms == T0


def test_a_request_notes_the_key_and_the_write_happens_off_its_path(
    settings: Settings, timed_store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_state, "REQUEST_FLUSH_S", 3600.0)  # no background flush during the test
    plain, key = timed_store.keys.create("k", ("stats:read",))
    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    app = create_app(replace(settings), store=timed_store)
    with TestClient(app) as client:
        event.listen(timed_store.engine, "before_cursor_execute", record)
        try:
            for _ in range(5):
                assert client.get("/api/v1/stats", headers=auth(plain)).status_code == 200
        finally:
            event.remove(timed_store.engine, "before_cursor_execute", record)
        assert not [s for s in statements if "UPDATE api_keys" in s]  # requests never write it
        assert timed_store.keys.get(key.key_id).last_used_ms is None
        assert app.state.clawscope.key_usage.pending() == {key.key_id: T0}
    assert timed_store.keys.get(key.key_id).last_used_ms == T0  # written when the app stopped

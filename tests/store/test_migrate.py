"""Migrations on both backends: a new database is created at the newest revision; re-running is a no-op."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

from clawscope.errors import StoreError
from clawscope.store import Store
from clawscope.store.engine import create_store_engine
from clawscope.store.migrate import current_revision, head_revision, migrate
from clawscope.store.schema import metadata


def test_new_database_is_created_and_stamped(db_url: str) -> None:
    engine = create_store_engine(db_url)
    assert current_revision(engine) is None
    assert migrate(engine) == head_revision()
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert migrate(engine) == head_revision()  # idempotent
    engine.dispose()


def test_concurrent_starts_migrate_once(db_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            Store(db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = create_store_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_a_foreign_database_is_not_touched(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE sessions (x INTEGER)"))
    with pytest.raises(StoreError, match="no schema version"):
        migrate(engine)
    engine.dispose()


def test_a_store_from_a_newer_clawscope_is_a_clean_store_error(db_url: str) -> None:
    """A revision this version does not know (a newer clawscope wrote the store) is refused in one
    sentence, not with Alembic's traceback, and the store is left as it was."""
    Store(db_url).close()
    engine = create_store_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this clawscope knows"):
        migrate(engine)
    assert current_revision(engine) == "9999"
    engine.dispose()


def test_unreachable_postgres_is_a_clean_store_error() -> None:
    with pytest.raises(StoreError, match="cannot open the database"):
        Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_the_head_constant_is_alembics_head() -> None:
    from clawscope.store.migrate import HEAD

    assert head_revision() == HEAD  # update HEAD in migrate.py when adding a revision


def _events_at_0005(engine) -> None:  # type: ignore[no-untyped-def]
    """Put the events table back in its revision-0005 shape (rowids reusable, no storing time)."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE events"))
        conn.execute(
            text(
                "CREATE TABLE events (id "
                + ("INTEGER" if engine.dialect.name == "sqlite" else "BIGSERIAL")
                + " PRIMARY KEY, ts_ms BIGINT NOT NULL, type TEXT NOT NULL, agent TEXT, "
                "session_id TEXT, kind TEXT, instance TEXT, payload TEXT NOT NULL)"
            )
        )
        conn.execute(text("CREATE INDEX ix_events_ts_ms ON events (ts_ms)"))
        for i in range(1, 6):
            conn.execute(
                text("INSERT INTO events (ts_ms, type, payload) VALUES (:ts, 'problem', '{}')"), {"ts": i}
            )
        conn.execute(text("DELETE FROM events WHERE id >= 4"))  # the newest were pruned
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))


def test_0006_keeps_events_and_never_reuses_their_ids(db_url: str) -> None:
    from clawscope.store import events as log
    from clawscope.store.events import Event

    engine = create_store_engine(db_url)
    migrate(engine)
    _events_at_0005(engine)
    assert current_revision(engine) == "0005"
    assert migrate(engine) == head_revision()
    kept = log.read_after(engine, 0)
    assert [(e.id, e.ts_ms) for e in kept] == [(1, 1), (2, 2), (3, 3)]
    log.prune(engine, 10**15)  # everything goes, then new events still get new ids
    new = log.append(engine, [Event("problem", {})], now_ms=1)
    assert new > 3 and (engine.dialect.name != "postgresql" or new == 6)
    engine.dispose()

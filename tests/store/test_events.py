"""The event log (store/events.py) and migrations 0004 and 0006."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from clawscope.store import Store, schema
from clawscope.store import events as log
from clawscope.store.engine import create_store_engine, write_tx
from clawscope.store.events import Event, EventFilter
from clawscope.store.migrate import _config as migrate_config


def test_migrations_0004_and_0006_create_the_tables_of_schema_py(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        new = {schema.events.name, schema.observations.name}
        with write_tx(engine) as conn:
            schema.metadata.create_all(
                conn, tables=[t for t in schema.metadata.sorted_tables if t.name not in new]
            )
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('0003')"))
        cfg = migrate_config()
        with write_tx(engine) as conn:  # to 0004 only: 0005's tables already exist here
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
            command.stamp(cfg, "0005")
            command.upgrade(cfg, "head")  # 0006 reshapes the events table
        insp = inspect(engine)
        for table in (schema.events, schema.observations):
            cols = {c["name"] for c in insp.get_columns(table.name)}
            assert cols == {c.name for c in table.columns}, table.name
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints("observations")}
        assert ("dedupe",) in uniques
        assert log.append(engine, [Event("problem", {"x": 1})]) == 1
    finally:
        engine.dispose()


def test_append_read_filter(db_url: str) -> None:
    with Store(db_url) as store:
        top = log.append(
            store.engine,
            [
                Event("tool.call", {"a": 1}, agent="main", session_id="s1", kind="main"),
                Event("llm.call", {"b": 2}, agent="ops", session_id="s2", kind="cron-run"),
            ],
        )
        assert top == 2 and log.max_id(store.engine) == 2
        assert [e.payload for e in log.read_after(store.engine, 0)] == [{"a": 1}, {"b": 2}]
        assert [e.id for e in log.read_after(store.engine, 1)] == [2]
        assert [e.id for e in log.read_after(store.engine, 0, EventFilter(kinds=("cron-run",)))] == [2]
        assert [e.id for e in log.read_after(store.engine, 0, EventFilter(agents=("main",)))] == [1]
        assert log.read_after(store.engine, 0, EventFilter(types=("problem",))) == []
        assert log.append(store.engine, []) == 0


def test_listeners_hear_appends(db_url: str) -> None:
    heard: list[int] = []
    with Store(db_url) as store:
        log.add_listener(heard.append)
        try:
            log.append(store.engine, [Event("problem", {})])
        finally:
            log.remove_listener(heard.append)
        log.append(store.engine, [Event("problem", {})])
    assert heard == [1]

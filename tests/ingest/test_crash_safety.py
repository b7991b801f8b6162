"""Crash safety of ingest: whatever fails between the data and what announces it, both or neither are
kept, and a rerun gives the database of a clean run (issue 13, data integrity)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.ingest.test_incremental import build_history

_FAULT = {
    "sqlite": [
        "CREATE TRIGGER fault_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fault_events() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER fault_events BEFORE INSERT ON events FOR EACH STATEMENT "
        "EXECUTE FUNCTION fault_events()",
    ],
}
_HEAL = {"sqlite": ["DROP TRIGGER fault_events"], "postgresql": ["DROP TRIGGER fault_events ON events"]}


def _run(store: Store, sqls: list[str]) -> None:
    with store.engine.begin() as conn:
        for sql in sqls:
            conn.execute(text(sql))


def _events(store: Store) -> list[tuple[str, str | None, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT type, session_id, payload FROM events ORDER BY id"))
        return sorted((r[0], r[1], r[2]) for r in rows)


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_failed_event_append_keeps_no_data_so_the_rerun_emits_every_event(
    tmp_path: Path, db_url: str
) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=4, turns=3)
    with Store(f"sqlite:///{tmp_path / 'clean.db'}") as clean:
        ingest(clean, [root], instance="t", now=0)
        expected = _events(clean)
    assert any(t == "session.updated" for t, _, _ in expected)
    with Store(db_url) as store:
        dialect = store.engine.dialect.name
        _run(store, _FAULT[dialect])
        with pytest.raises(Exception, match="injected fault"):
            ingest(store, [root], instance="t", now=0)
        assert _count(store, "entries") == 0  # the data went with its events
        _run(store, _HEAL[dialect])
        ingest(store, [root], instance="t", now=0)
        assert _events(store) == expected

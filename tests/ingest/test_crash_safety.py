"""Crash safety of ingest: whatever fails between the data and what announces it, both or neither are
kept, and a rerun gives the database of a clean run (issue 13, data integrity)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope.demo import generate
from clawscope.ingest import IngestReport, ingest
from clawscope.store import Store, schema
from tests.ingest.test_incremental import build_history
from tests.support.hostile import NOW
from tests.support.tables import VOLATILE, differences, dump, event_gaps

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


def expected_col(table: str, col: str) -> int:
    """The index of a column in `dump`'s rows of a table."""
    return [c.name for c in schema.metadata.tables[table].columns if c.name not in VOLATILE].index(col)


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


# -- a crash in the middle of an SQLite-era session (item 1) ---------------------------------------------


def _crash_after_cursors(dialect: str, k: int) -> list[str]:
    """Every write fails once `k` cursors are stored: a crash right after the unit that stored the k-th."""
    if dialect == "sqlite":
        return [
            "CREATE TRIGGER fault_cursors BEFORE INSERT ON cursors "
            f"WHEN (SELECT count(*) FROM cursors) >= {k} BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        ]
    return [
        "CREATE FUNCTION fault_cursors() RETURNS trigger AS $$ BEGIN "
        f"IF (SELECT count(*) FROM cursors) >= {k} THEN RAISE EXCEPTION 'injected fault'; END IF; "
        "RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER fault_cursors BEFORE INSERT ON cursors FOR EACH ROW EXECUTE FUNCTION fault_cursors()",
    ]


_HEAL_CURSORS = {
    "sqlite": ["DROP TRIGGER fault_cursors"],
    "postgresql": ["DROP TRIGGER fault_cursors ON cursors"],
}


@pytest.mark.parametrize("k", [2, 5, 9, 17])
def test_a_crash_mid_sqlite_session_then_a_rerun_keeps_its_metadata(
    tmp_path: Path, db_url: str, k: int
) -> None:
    root = tmp_path / "state"
    generate(root, sessions=24, agents=1, era="sqlite", seed=3)
    with Store(f"sqlite:///{tmp_path / 'clean.db'}") as clean:
        ingest(clean, [root], instance="t", now=NOW, batch_entries=20)
        expected = dump(clean, root)
    assert any(r[expected_col("sessions", "cwd")] for r in expected["sessions"])
    with Store(db_url) as store:
        dialect = store.engine.dialect.name
        _run(store, _crash_after_cursors(dialect, k))
        with pytest.raises(Exception, match="injected fault"):
            ingest(store, [root], instance="t", now=NOW, batch_entries=20)
        _run(store, _HEAL_CURSORS[dialect])
        ingest(store, [root], instance="t", now=NOW, batch_entries=20)
        assert differences(expected, dump(store, root)) == []
        assert event_gaps(store) == []


# -- two ingests at once on PostgreSQL (item 3) ------------------------------------------------------------


def _at_once(url: str, root: Path, n: int = 2) -> tuple[list[IngestReport], list[BaseException]]:
    """`n` ingests of the same state dir started together, each with its own store (engine)."""
    start = threading.Barrier(n)
    reports: list[IngestReport] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            with Store(url) as store:
                start.wait()
                reports.append(ingest(store, [root], instance="t", now=NOW, batch_entries=30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return reports, errors


@pytest.mark.postgres
def test_two_concurrent_ingests_finish_and_each_reports_what_it_added(tmp_path: Path, pg_url: str) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=24, turns=6)
    with Store(f"sqlite:///{tmp_path / 'clean.db'}") as clean:
        total = ingest(clean, [root], instance="t", now=NOW, batch_entries=30)
        expected = dump(clean, root)
    for trial in range(2):
        with Store(pg_url) as store, store.engine.begin() as conn:  # start each trial empty
            for table in reversed(schema.metadata.sorted_tables):
                conn.execute(table.delete())
        reports, errors = _at_once(pg_url, root)
        assert errors == [], f"trial {trial}: {errors}"
        for field in ("entries", "llm_calls", "tool_calls"):
            assert sum(getattr(r, field) for r in reports) == getattr(total, field), (trial, field, reports)
        with Store(pg_url) as store:
            assert differences(expected, dump(store, root)) == [], f"trial {trial}"

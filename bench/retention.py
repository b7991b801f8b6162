"""Retention benchmark (issue 17 item 8): what pruning transcript text gives back, on both backends.

    .venv/bin/python bench/retention.py [--sessions 400] [--seed 7] [--pg URL]

Generates a demo state (JSONL era), ingests it into a new SQLite file and (when reachable) a fresh
PostgreSQL schema, then prunes the text of every session (the store's clock moved a year past the
corpus) and vacuums. Prints, per backend: the database size and bytes per stored entry before and after
(SQLite: the file; PostgreSQL: `pg_total_relation_size` of every table of the schema, `VACUUM FULL`),
the share reclaimed, and the CPU seconds of the prune + vacuum against the ingest's in the same run
(this process and its children: wall time is meaningless on the shared machine). Checks that every
total is identical before and after. Writes nothing to bench/RESULTS.md (the lead records the numbers).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from sqlalchemy import text  # noqa: E402

from clawscope.analytics.core import stats  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.demo.generate import generate  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.model import Filters  # noqa: E402
from clawscope.store import Store  # noqa: E402

YEAR_MS = 366 * 86_400_000
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DIMS = (None, "model", "agent", "day", "tool")


def cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def size(store: Store) -> int:
    """Bytes the database holds: the SQLite file's pages, or every relation of the PostgreSQL schema."""
    with store.engine.connect() as conn:
        if store.backend == "sqlite":
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            return int(pages) * int(conn.exec_driver_sql("PRAGMA page_size").scalar() or 0)
        sql = (
            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
        )
        return int(conn.execute(text(sql)).scalar() or 0)


def numbers(store: Store) -> list[object]:
    return [stats(store, Filters(), by) for by in DIMS]


def run(url: str, state: Path) -> None:
    c0 = cpu()
    with Store(url) as probe:
        ingest(probe, [state], instance="bench", estimate=False, workers=0)
    ingest_cpu = cpu() - c0
    with Store(url) as s, s.engine.connect() as conn:
        entries = int(conn.execute(text("SELECT count(*) FROM entries")).scalar() or 0)
        last = int(conn.execute(text("SELECT max(last_ms) FROM sessions")).scalar() or 0)
    with Store(url, clock=lambda: last + YEAR_MS) as store:
        if store.backend == "postgresql":
            store.retention.vacuum(full=True)  # the same footing as after the prune: no dead rows
        before, totals = size(store), numbers(store)
        c1 = cpu()
        report = store.retention.run(30, vacuum="full")
        prune_cpu = cpu() - c1
        after = size(store)
        exact = numbers(store) == totals
    print(
        f"{store.backend:10} entries {entries:>8}  sessions pruned {len(report.sessions):>5}  "
        f"size {before / 1e6:8.2f} MB -> {after / 1e6:8.2f} MB  "
        f"B/entry {before / entries:6.0f} -> {after / entries:5.0f}  reclaimed {1 - after / before:5.1%}  "
        f"cpu prune+vacuum {prune_cpu:5.2f} s vs ingest {ingest_cpu:5.2f} s "
        f"({prune_cpu / ingest_cpu:4.2f}x, this process: PostgreSQL's server CPU is not in it)  "
        f"totals identical: {'yes' if exact else 'NO'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", default=PG)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        generate(state, sessions=args.sessions, agents=4, era="jsonl", seed=args.seed)
        run(sqlite_url(Path(tmp) / "bench.db"), state)
        try:
            import psycopg

            schema = "bench_" + uuid.uuid4().hex[:10]
            raw = args.pg.replace("postgresql+psycopg", "postgresql")
            with psycopg.connect(raw, autocommit=True, connect_timeout=3) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
        except Exception as exc:
            print(f"postgresql: skipped ({exc.__class__.__name__})")
            return
        try:
            run(f"{args.pg}?options=-csearch_path%3D{schema}", state)
        finally:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()

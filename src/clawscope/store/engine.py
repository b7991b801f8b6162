"""Opening the database: URL handling and every SQLite/PostgreSQL difference in one place.

SQLite is the embedded default; PostgreSQL serves teams and several server replicas. Connections
are configured once, on connect, here.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, CursorResult, Engine, TextClause, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clawscope.dburl import normalize
from clawscope.errors import StoreError

# Why each SQLite pragma:
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode = WAL",  # readers (dashboard, API) never block the ingest writer, nor it them
    "PRAGMA synchronous = NORMAL",  # with WAL: durable at checkpoints, atomic always; no fsync per commit
    "PRAGMA temp_store = MEMORY",  # sorts for GROUP BY on big tables stay off disk
    "PRAGMA busy_timeout = 30000",  # a second writer (serve + a manual ingest) waits instead of failing
    "PRAGMA foreign_keys = OFF",  # integrity is kept by the writer; FK checks cost on every bulk row
)


# SQLite's page cache per connection, MiB: the hot B-tree pages of bulk inserts and of the dashboard's scans
# stay in memory. 32 by default (16 made the sessions scans at a million calls 30 % slower); a one-shot
# `clawscope ingest` asks for 16, which cost it no measured time and 30 MB less peak RSS (bench/ingest.py).
PAGE_CACHE_MIB = 32
INGEST_PAGE_CACHE_MIB = 16


def create_store_engine(
    url: str, *, must_exist: bool = False, page_cache_mib: int = PAGE_CACHE_MIB
) -> Engine:
    """An engine for `url`; with `must_exist`, a SQLite file that is not there is an error (nothing,
    not even its folder, is created). `page_cache_mib`: SQLite's page cache per connection."""
    url = normalize(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"invalid database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if must_exist and database and database != ":memory:" and not Path(database).is_file():
            raise StoreError(f"no database at {database} (nothing was created; run `clawscope ingest` first)")
        return _sqlite_engine(url, database, page_cache_mib)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(url)
    raise StoreError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite:/// or postgresql://")


# PostgreSQL's default cost of a random page read (4) dates from spinning disks: with it, a scan of the
# sessions active in a period read the whole 120 MB table instead of the narrow covering index
# `ix_sessions_scan` (77 ms instead of 38 at 100,000 sessions; bench/api.py). Set for clawscope's own
# connections when the server still has the default; a value the administrator chose is kept.
PG_RANDOM_PAGE_COST = "1.1"
_PG_DEFAULT_RANDOM_PAGE_COST = "4"


def _postgres_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SHOW random_page_cost")
            if str(cur.fetchone()[0]) == _PG_DEFAULT_RANDOM_PAGE_COST:
                cur.execute(f"SET random_page_cost = {PG_RANDOM_PAGE_COST}")
        dbapi_conn.commit()  # (psycopg opened a transaction for the SHOW: the SET stays, as a session's)

    return engine


def _sqlite_engine(url: str, database: str | None, page_cache_mib: int) -> Engine:
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of {database}: {exc.strerror}") from None
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see `_on_begin`).
        dbapi_conn.isolation_level = None
        for pragma in (*_SQLITE_PRAGMAS, f"PRAGMA cache_size = {-1024 * int(page_cache_mib)}"):
            _pragma(dbapi_conn, pragma)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that reads then writes can fail
        # with SQLITE_BUSY without waiting, when another process wrote in between.
        immediate = conn.get_execution_options().get("clawscope_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _pragma(dbapi_conn: Any, pragma: str) -> None:
    """Run a pragma; switching a new file to WAL needs its exclusive lock, and SQLite answers "database
    is locked" at once (no busy wait) while several processes open the same new file: retried briefly."""
    for attempt in range(100):
        try:
            dbapi_conn.execute(pragma)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


def shown(engine: Engine) -> str:
    """The database's URL as it may be shown to a user (no password)."""
    return engine.url.render_as_string(hide_password=True)


def one_line(exc: BaseException) -> str:
    """A driver error as one line: its class and the first line of its message (psycopg's run to
    several lines of hints)."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0].strip()
    return f"{cause.__class__.__name__}: {first}" if first else cause.__class__.__name__


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def placeholder(engine: Engine) -> str:
    """The DB-API parameter marker of the driver, for the bulk-write SQL compiled in `bulk.py`."""
    return "?" if is_sqlite(engine) else "%s"


def execute_in(conn: Connection, stmt: TextClause, name: str, ids: Iterable[int]) -> CursorResult[Any]:
    """Run `stmt` with its `IN :name` list of integer ids written into the SQL text.

    SQLAlchemy renders an expanding parameter's bind names again on every execution: for the
    roll-up pass of each ingest unit (a dozen statements over up to 500 sessions) that was a fifth of
    the writer's CPU. Ids are integers (`int()` lets nothing else into the SQL), so they are inlined
    and the statement goes to the driver as is. An empty list matches nothing.
    """
    listed = ",".join(str(int(i)) for i in ids) or "NULL"
    return conn.exec_driver_sql(stmt.text.replace(":" + name, f"({listed})"))


# "claw": the PostgreSQL advisory lock each ingest unit's transaction holds (writer.py), and the settle of
# owed roll-ups (rollup_pending.py): one writer of rows and roll-ups at a time, as SQLite has by design.
WRITE_LOCK = 0x636C6177


def lock_writers(conn: Connection) -> None:
    """Inside a write transaction: wait for, then hold until commit, the writers' lock (PostgreSQL;
    keyed by schema too: advisory locks are database-wide, a schema is one clawscope). SQLite's write
    transactions are serialised by its own lock already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"), {"k": WRITE_LOCK})


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction (on SQLite it takes the write lock up front; see `_on_begin`)."""
    with engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
        yield conn


class Part:
    """One part of the store's public API (`Store.totals`, `Store.keys`, `Store.events`, …): the reads and
    writes of one concern over the store's engine and clock. Nothing above the store sees either."""

    def __init__(self, engine: Engine, clock: Callable[[], int]) -> None:
        self._engine = engine
        self._clock = clock  # epoch ms: "now" for every time this part stores

    def _read(self) -> Connection:
        """A connection for reading (use as a context manager)."""
        return self._engine.connect()

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of one read query, as dicts."""
        with self._engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def _write(self) -> AbstractContextManager[Connection]:
        """A write transaction (see `write_tx`)."""
        return write_tx(self._engine)

    @property
    def _postgres(self) -> bool:
        return self._engine.dialect.name == "postgresql"

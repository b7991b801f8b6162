"""`Store.events`: the event log: append events, read them back by id, prune old ones, wake readers.

Ids only grow, on both backends, even after a prune (SQLite AUTOINCREMENT): a subscriber that saw
id N never misses a later event because it got a reused, smaller id. Retention prunes by the time a
row was stored (`created_ms`), never by the data's own time.

Events are notifications about stored data (the data stays the truth): the writer, the event webhook
and the OTLP receiver append them inside the transaction that stores that data (`append_in`), so a
crash between the two cannot lose an event that `Last-Event-ID` replay would need. Ids must become visible
in order, or a reader that resumes "after id N" could skip a row that commits late. SQLite has one
writer at a time; on PostgreSQL every append takes a transaction-scoped advisory lock before drawing
ids, so appends commit in id order, and sends `NOTIFY clawscope_events` so that readers in other
processes wake at once. Readers in this process are woken through `listeners` (no round trip).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from clawscope import timeutil
from clawscope.store import schema
from clawscope.store.engine import Part, write_tx

CHANNEL = "clawscope_events"
_APPEND_LOCK = 0x636C6165  # "clae": PostgreSQL advisory lock held while appending events
TYPES = ("session.updated", "llm.call", "tool.call", "problem", "detection", "alert")


@dataclass(frozen=True)
class Event:
    """One event. `id` is 0 until stored."""

    type: str
    payload: dict[str, Any]
    ts_ms: int = field(default_factory=timeutil.now_ms)
    agent: str | None = None
    session_id: str | None = None
    kind: str | None = None
    instance: str | None = None
    id: int = 0

    def to_json(self) -> dict[str, Any]:
        """The stable wire shape (README "Live stream and OTLP")."""
        return {
            "id": self.id,
            "type": self.type,
            "ts": self.ts_ms,
            "agent": self.agent,
            "sessionId": self.session_id,
            "kind": self.kind,
            "instance": self.instance,
            "data": self.payload,
        }


@dataclass(frozen=True)
class EventFilter:
    """What a subscriber wants; empty tuples mean "everything"."""

    types: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    sessions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def matches(self, e: Event) -> bool:
        return (
            (not self.types or e.type in self.types)
            and (not self.agents or e.agent in self.agents)
            and (not self.sessions or e.session_id in self.sessions)
            and (not self.kinds or e.kind in self.kinds)
        )


# In-process wake-ups: called (with the highest new id) after every append in this process.
_listeners: list[Callable[[int], None]] = []
_listeners_lock = threading.Lock()


def add_listener(fn: Callable[[int], None]) -> None:
    with _listeners_lock:
        _listeners.append(fn)


def remove_listener(fn: Callable[[int], None]) -> None:
    with _listeners_lock:
        if fn in _listeners:
            _listeners.remove(fn)


def append(engine: Engine, events: Sequence[Event], now_ms: int | None = None) -> int:
    """Store events (in one short transaction, ids in commit order); return the highest new id.

    `now_ms` is the storing time the retention prunes by (default: the wall clock)."""
    if not events:
        return 0
    with write_tx(engine) as conn:
        top = append_in(conn, events, timeutil.now_ms() if now_ms is None else now_ms)
    announce(top)
    return top


def append_in(conn: Connection, events: Sequence[Event], created_ms: int) -> int:
    """Store events inside the caller's write transaction (the one that stores the data they
    announce, so a crash keeps both or neither); return the highest new id (0: none). Call
    `announce(top)` after the commit."""
    if not events:
        return 0
    rows = [
        {
            "ts_ms": e.ts_ms,
            "created_ms": created_ms,
            "type": e.type,
            "agent": e.agent,
            "session_id": e.session_id,
            "kind": e.kind,
            "instance": e.instance,
            "payload": orjson.dumps(e.payload).decode(),
        }
        for e in events
    ]
    postgres = conn.dialect.name == "postgresql"
    if postgres:  # held to the commit: appends commit in id order
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})
    conn.execute(insert(schema.events), rows)
    top = int(conn.execute(select(func.max(schema.events.c.id))).scalar_one())
    if postgres:  # delivered at the commit
        conn.execute(text(f"NOTIFY {CHANNEL}, '{top}'"))
    return top


def announce(top: int) -> None:
    """Wake this process's readers after a commit that appended events up to id `top`."""
    if not top:
        return
    with _listeners_lock:
        listeners = list(_listeners)
    for fn in listeners:
        fn(top)


def max_id(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(schema.events.c.id), 0))).scalar_one())


def read_after(engine: Engine, after: int, flt: EventFilter | None = None, limit: int = 1000) -> list[Event]:
    """Events with id > `after`, oldest first, matching `flt`."""
    t = schema.events
    stmt = select(t).where(t.c.id > after).order_by(t.c.id).limit(limit)
    if flt is not None:
        for col, wanted in (
            (t.c.type, flt.types),
            (t.c.agent, flt.agents),
            (t.c.session_id, flt.sessions),
            (t.c.kind, flt.kinds),
        ):
            if wanted:
                stmt = stmt.where(col.in_(wanted))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [_event(r._mapping) for r in rows]


def prune(engine: Engine, stored_before_ms: int) -> int:
    """Delete events stored before `stored_before_ms` (epoch ms; by storing time, not the data's own
    time, so importing old history does not delete its events at once); return how many."""
    t = schema.events
    with write_tx(engine) as conn:
        return int(conn.execute(delete(t).where(t.c.created_ms < stored_before_ms)).rowcount)


def _event(m: Any) -> Event:
    return Event(
        id=int(m["id"]),
        ts_ms=int(m["ts_ms"]),
        type=m["type"],
        agent=m["agent"],
        session_id=m["session_id"],
        kind=m["kind"],
        instance=m["instance"],
        payload=orjson.loads(m["payload"]),
    )


def by_type(events: Iterable[Event]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        out[e.type] = out.get(e.type, 0) + 1
    return out


class Notifications:
    """PostgreSQL only: a dedicated connection (outside the pool) LISTENing on `clawscope_events`, so a
    reader in this process wakes as soon as any process appends events."""

    def __init__(self, engine: Engine) -> None:
        raw = engine.raw_connection()
        pg = raw.driver_connection
        assert pg is not None
        raw.detach()  # a dedicated connection: it stays LISTENing, outside the pool
        pg.autocommit = True
        pg.execute(f"LISTEN {CHANNEL}")
        self._pg: Any = pg

    def wait(self, timeout_s: float) -> None:
        """Return on the next notification or after `timeout_s`; raises when the connection broke."""
        for _ in self._pg.notifies(timeout=timeout_s, stop_after=1):
            break

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pg.close()


class EventLog(Part):
    """`Store.events`: the event log of this database (see the module's docstring)."""

    def append(self, events: Sequence[Event], now_ms: int | None = None) -> int:
        """Store events; return the highest new id. `now_ms`: the storing time (default: the clock)."""
        return append(self._engine, events, self._clock() if now_ms is None else now_ms)

    def max_id(self) -> int:
        return max_id(self._engine)

    def read_after(self, after: int, flt: EventFilter | None = None, limit: int = 1000) -> list[Event]:
        """Events with id > `after`, oldest first, matching `flt`."""
        return read_after(self._engine, after, flt, limit)

    def prune(self, stored_before_ms: int) -> int:
        """Delete events stored before `stored_before_ms`; return how many."""
        return prune(self._engine, stored_before_ms)

    def notifications(self) -> Notifications | None:
        """A listener for appends by other processes (PostgreSQL); None where there is none (SQLite)."""
        return Notifications(self._engine) if self._postgres else None

    add_listener = staticmethod(add_listener)
    remove_listener = staticmethod(remove_listener)

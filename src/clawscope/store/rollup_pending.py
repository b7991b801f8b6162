"""Roll-ups owed (revision 0023): the webhook write path marks sessions instead of rebuilding roll-ups.

Rebuilding the analytics roll-ups (rollup_calls/entries/hourly/daily and the metrics' label sets) in
every webhook's transaction cost more server CPU than storing the session. Instead the writer inserts
the session's sid into `rollup_pending`, in the same transaction as its rows, and `settle()` rebuilds
the roll-ups of every marked session in one pass and deletes the marks, in one transaction under the
writers' lock (so no write lands between the rebuild and the delete). The server settles after a burst
and on a timer; every read of those tables, in any process, settles first (`Part` with `settles`), so
a number read is always exact. A mark survives a crash with the rows it covers: the next reader settles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, text

from clawscope import faults
from clawscope.store.engine import Part, execute_in, lock_writers, write_tx
from clawscope.store.rollup_hours import refresh_analytics

_ANY = text("SELECT 1 FROM rollup_pending LIMIT 1")
_ALL = text("SELECT sid FROM rollup_pending ORDER BY sid")
_DONE = text("DELETE FROM rollup_pending WHERE sid IN :sids")


def mark_sql(mark: str) -> str:
    """The writer's statement (DB-API marker `mark`) that marks one sid's roll-ups as owed."""
    return f"INSERT INTO rollup_pending (sid) VALUES ({mark}) ON CONFLICT (sid) DO NOTHING"


def mark(cur: Any, sql: str, sids: Iterable[int]) -> None:
    """Inside the writer's transaction, on its driver cursor: these sessions' roll-ups are owed."""
    cur.executemany(sql, [(int(s),) for s in sorted(sids)])


def owed(conn: Connection) -> bool:
    """Whether any session's roll-ups are owed (one index probe)."""
    return conn.execute(_ANY).first() is not None


def settle(engine: Engine) -> int:
    """Rebuild the roll-ups of every session marked as owed, then forget the marks; how many sessions.
    Cheap when nothing is owed (one read, no write transaction)."""
    with engine.connect() as conn:
        if not owed(conn):
            return 0
    with write_tx(engine) as conn:
        lock_writers(conn)  # taken before the roll-up lock, in the writer's order
        sids = [int(r[0]) for r in conn.execute(_ALL)]
        if sids:
            refresh_analytics(conn, sids)
            faults.point("mid-settle")
            for i in range(0, len(sids), 500):
                execute_in(conn, _DONE, "sids", sids[i : i + 500])
    return len(sids)


class SettledPart(Part):
    """A part of the store whose reads see the analytics roll-ups: every read settles what is owed first."""

    def _read(self) -> Connection:
        settle(self._engine)
        return super()._read()

    def _rows(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        settle(self._engine)
        return super()._rows(sql, params)

"""`Store.retention`: keep raw transcript text for N days, and every number forever.

A transcript's raw text (its zstd entry blocks and its full-text search rows) is most of a store's
size; the numbers come from much smaller rows. Pruning a session whose last activity is older than the
cut-off deletes only its blocks and search rows: its `entries` rows (position, type, role, time), model
calls, tool calls, roll-ups, findings and the audit log stay, so every total is unchanged. The session is
recorded in `pruned_sessions`, which the replay (a notice instead of empty entries), search (results may
be missing), detection (skipped: its findings stay as they were) and the writer (an entry a pruned
session already holds is never stored again, text included) read. Then `VACUUM` gives the space back
(SQLite: the file shrinks; PostgreSQL: the space is reused, `VACUUM FULL` with `full=True` returns it).

Each session is pruned in a transaction of its own, under the ingest writer's lock, after checking
again that it is still idle (a session that resumed meanwhile keeps its text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from clawscope.store import search
from clawscope.store.engine import Part, execute_in, lock_writers
from clawscope.timeutil import iso_ms

DAY_MS = 86_400_000
# serve vacuums SQLite after a prune only when this share of the file is free pages (VACUUM rewrites it)
VACUUM_FREE_SHARE = 0.1
_IDLE = (
    "(s.last_ms IS NOT NULL OR s.updated_ms IS NOT NULL) "
    "AND COALESCE(s.last_ms, 0) < :cut AND COALESCE(s.updated_ms, 0) < :cut"
)
_CANDIDATES = (
    "SELECT s.sid, s.session_id FROM sessions s "
    f"WHERE {_IDLE} AND EXISTS (SELECT 1 FROM entry_blocks b WHERE b.sid = s.sid) ORDER BY s.sid"
)
# an SQL condition on a session aliased `s`: its text was not pruned (detection's filter)
NOT_PRUNED = "NOT EXISTS (SELECT 1 FROM pruned_sessions ps WHERE ps.sid = s.sid)"


@dataclass(frozen=True)
class Pruned:
    """A pruned session: when (the last prune), under which setting, how much text went."""

    pruned_ms: int
    retention_days: int
    entries: int
    text_bytes: int


@dataclass
class RetentionReport:
    """What one run pruned (or, `dry_run`, would prune) and what the vacuum gave back."""

    days: int
    cutoff_ms: int
    dry_run: bool
    sessions: list[str] = field(default_factory=list)
    entries: int = 0  # entries whose text goes
    text_bytes: int = 0  # stored (compressed) text bytes of their blocks
    search_rows: int = 0  # search index rows of those entries
    vacuumed: bool = False
    db_bytes_before: int = 0
    db_bytes_after: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "dryRun": self.dry_run,
            "retentionDays": self.days,
            "cutoff": iso_ms(self.cutoff_ms),
            "sessions": len(self.sessions),
            "entries": self.entries,
            "textBytes": self.text_bytes,
            "searchRows": self.search_rows,
            "vacuumed": self.vacuumed,
            "dbBytesBefore": self.db_bytes_before,
            "dbBytesAfter": self.db_bytes_after,
            "bytesReclaimed": max(0, self.db_bytes_before - self.db_bytes_after) if self.vacuumed else 0,
        }


class Retention(Part):
    def run(self, days: int, *, dry_run: bool = False, vacuum: str = "always") -> RetentionReport:
        """Prune the text of sessions idle for more than `days` days (by the store's clock), then vacuum:
        `vacuum` is `always`, `never`, `if-worth` (SQLite: when free pages are VACUUM_FREE_SHARE of the
        file) or `full` (PostgreSQL `VACUUM FULL` of the pruned tables; SQLite as `always`)."""
        if days < 1:
            raise ValueError("retention days must be at least 1")
        cut = self._clock() - days * DAY_MS
        report = RetentionReport(days=days, cutoff_ms=cut, dry_run=dry_run)
        report.db_bytes_before = report.db_bytes_after = self.db_bytes()
        with self._read() as conn:
            found = [
                (int(sid), str(session_id))
                for sid, session_id in conn.execute(text(_CANDIDATES), {"cut": cut})
            ]
            if dry_run:
                for sid, session_id in found:
                    _add(report, session_id, _measure(conn, sid))
                return report
        for sid, session_id in found:
            with self._write() as conn:
                measured = self._prune(conn, sid, cut, days)
            if measured is not None:
                _add(report, session_id, measured)
        if _wants_vacuum(vacuum, bool(report.sessions)) and (vacuum != "if-worth" or self._worth_vacuum()):
            self.vacuum(full=vacuum == "full")
            report.vacuumed = True
        report.db_bytes_after = self.db_bytes()
        return report

    def _prune(self, conn: Connection, sid: int, cut: int, days: int) -> tuple[int, int, int] | None:
        lock_writers(conn)  # the ingest writer's lock: no unit adds to this session meanwhile
        idle = conn.execute(
            text(f"SELECT 1 FROM sessions s WHERE s.sid = :sid AND {_IDLE}"), {"sid": sid, "cut": cut}
        )
        if idle.first() is None:
            return None  # it resumed since it was listed: its text stays
        measured = _measure(conn, sid)
        if measured == (0, 0, 0):
            return None  # another process (a replica's hourly run) pruned it since it was listed
        search.forget(conn, sid)  # (SQLite's contentless index forgets a row only given its text)
        conn.execute(text("DELETE FROM search_docs WHERE sid = :sid"), {"sid": sid})
        conn.execute(text("DELETE FROM entry_blocks WHERE sid = :sid"), {"sid": sid})
        entries, text_bytes, _ = measured
        now = self._clock()
        params = {"sid": sid, "now": now, "days": days, "n": entries, "b": text_bytes}
        updated = conn.execute(
            text(
                "UPDATE pruned_sessions SET pruned_ms = :now, retention_days = :days, "
                "entries = entries + :n, text_bytes = text_bytes + :b WHERE sid = :sid"
            ),
            params,
        )
        if not updated.rowcount:
            conn.execute(
                text(
                    "INSERT INTO pruned_sessions (sid, pruned_ms, retention_days, entries, text_bytes) "
                    "VALUES (:sid, :now, :days, :n, :b)"
                ),
                params,
            )
        return measured

    # -- reading ----------------------------------------------------------------------------------------

    def pruned(self, session_id: str) -> Pruned | None:
        """When and how a session's text was pruned; None when it was not."""
        with self._read() as conn:
            row = conn.execute(
                text(
                    "SELECT p.pruned_ms, p.retention_days, p.entries, p.text_bytes FROM pruned_sessions p "
                    "JOIN sessions s ON s.sid = p.sid WHERE s.session_id = :id"
                ),
                {"id": session_id},
            ).first()
        return None if row is None else Pruned(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def pruned_count(
        self,
        *,
        agent: str | None = None,
        kind: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> int:
        """Pruned sessions of these filters (active in [since, until)): search results may miss them."""
        cond, params = ["1=1"], dict[str, Any]()
        if agent:
            cond.append("s.agent_id = :agent")
            params["agent"] = agent
        if kind:
            cond.append("s.kind = :kind")
            params["kind"] = kind
        if since_ms is not None:
            cond.append("COALESCE(s.last_ms, s.first_ms, 0) >= :since")
            params["since"] = since_ms
        if until_ms is not None:
            cond.append("COALESCE(s.first_ms, s.last_ms, 0) < :until")
            params["until"] = until_ms
        sql = "SELECT count(*) FROM pruned_sessions p JOIN sessions s ON s.sid = p.sid WHERE " + " AND ".join(
            cond
        )
        with self._read() as conn:
            return int(conn.execute(text(sql), params).scalar() or 0)

    # -- space ------------------------------------------------------------------------------------------

    def db_bytes(self) -> int:
        """The database's size: SQLite's pages in use and free (the file, WAL applied), PostgreSQL's
        `pg_database_size`."""
        with self._read() as conn:
            if self._postgres:
                return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0)
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
            size = conn.exec_driver_sql("PRAGMA page_size").scalar() or 0
            return int(pages) * int(size)

    def _worth_vacuum(self) -> bool:
        if self._postgres:
            return True  # a plain VACUUM is incremental and takes no exclusive lock
        with self._read() as conn:
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 1
        return int(free) >= VACUUM_FREE_SHARE * int(pages)

    def vacuum(self, *, full: bool = False) -> None:
        """Give the pruned space back. VACUUM cannot run in a transaction: SQLite's runs on the driver's
        own connection (autocommit), PostgreSQL's in AUTOCOMMIT isolation."""
        if self._postgres:
            verb = "VACUUM FULL" if full else "VACUUM (ANALYZE)"
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in ("entry_blocks", "search_docs", "pruned_sessions"):
                    conn.exec_driver_sql(f"{verb} {table}")
            return
        raw = self._engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            driver.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")  # drop forgotten rows
            driver.execute("VACUUM")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def _measure(conn: Connection, sid: int) -> tuple[int, int, int]:
    """(entries whose text is stored, stored text bytes, search rows) of one session."""
    params = {"sid": sid}
    entries = conn.execute(
        text(
            "SELECT count(*) FROM entries e WHERE e.sid = :sid "
            "AND EXISTS (SELECT 1 FROM entry_blocks b WHERE b.block_id = e.block_id)"
        ),
        params,
    ).scalar()
    stored = conn.execute(
        text("SELECT COALESCE(sum(length(data)), 0) FROM entry_blocks WHERE sid = :sid"), params
    )
    rows = conn.execute(text("SELECT count(*) FROM search_docs WHERE sid = :sid"), params).scalar()
    return int(entries or 0), int(stored.scalar() or 0), int(rows or 0)


def _wants_vacuum(vacuum: str, pruned: bool) -> bool:
    """`full` always runs (the user asked to compact); `always` and `if-worth` after a prune."""
    return vacuum == "full" or (pruned and vacuum in ("always", "if-worth"))


def _add(report: RetentionReport, session_id: str, measured: tuple[int, int, int]) -> None:
    report.sessions.append(session_id)
    report.entries += measured[0]
    report.text_bytes += measured[1]
    report.search_rows += measured[2]


def pruned_sids(conn: Connection, sids: Sequence[int]) -> set[int]:
    """Which of these sessions were pruned (the writer's check, once per unit)."""
    if not sids:
        return set()
    found = execute_in(conn, text("SELECT sid FROM pruned_sessions WHERE sid IN :sids"), "sids", sids)
    return {int(r[0]) for r in found}


def stored_entry_ids(conn: Connection, sid: int) -> set[str]:
    """The entries a session holds (a pruned session's: their text is never stored again)."""
    return {
        str(r[0]) for r in conn.execute(text("SELECT entry_id FROM entries WHERE sid = :sid"), {"sid": sid})
    }

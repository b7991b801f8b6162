"""The unit of work of ingest: buffer decoded data, then write it with its cursors in one transaction.

A cursor is only ever committed together with the rows read up to it, so a crash (kill -9) at any
moment leaves either both or neither: the next run resumes exactly where the last commit stopped,
and primary keys make any re-read harmless. After the rows, each touched session's roll-ups are
recomputed from the rows themselves.

`Writer` buffers; `take()` cuts the buffer into a `Unit`; `write(unit)` commits it. `WriterThread`
commits units in the background so that SQLite's work (which releases the GIL) overlaps with the
decoding of the next unit; a bounded queue keeps memory flat.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec
import zstandard
from sqlalchemy import Connection, Engine, bindparam, func, select, text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from clawscope import faults
from clawscope.errors import UnstorableValueError, WriteConflictError
from clawscope.model import (
    Agent,
    CronJob,
    CronRun,
    LlmCall,
    Problem,
    SessionMeta,
    SubagentRun,
    ToolResult,
    TranscriptBatch,
)
from clawscope.store import bulk, retention, rollup_pending, rows, schema, search
from clawscope.store import events as event_log
from clawscope.store.engine import lock_writers, placeholder, write_tx
from clawscope.store.ingest_events import Probe
from clawscope.store.remote import claim_sessions, record_nonces
from clawscope.store.rollup_sessions import refresh_counts, refresh_rollups
from clawscope.timeutil import now_ms

FLUSH_ENTRIES = 5_000  # a unit in flight, one queued and one filling: memory stays flat
FLUSH_BYTES = 4 << 20
# registry rows (cron and sub-agent runs) per unit: 21,000 sub-agent runs and 26,000 cron runs in one
# unit held 72 MB while they waited and 84 MB more while written
FLUSH_REGISTRY_ROWS = 5_000
# A cursor row committed with any unit that changes sessions or sub-agent runs, deleted by the linking
# that follows: a re-run that wrote none (and no crash left links unmade) skips the linking's scan.
LINKS_OWED = "links:owed"
_ZSTD_LEVEL = 1  # fastest; transcript JSON still shrinks 5-10x
Estimator = Callable[[LlmCall], tuple[float | None, str | None]]
_REGISTRY_TABLES = {
    "agents": schema.agents,
    "cron_jobs": schema.cron_jobs,
    "cron_runs": schema.cron_runs,
    "subagent_runs": schema.subagent_runs,
}


class Unit(msgspec.Struct):
    """One transaction's worth of writes."""

    metas: list[SessionMeta] = msgspec.field(default_factory=list)
    batches: list[TranscriptBatch] = msgspec.field(default_factory=list)
    cursors: dict[str, bytes] = msgspec.field(default_factory=dict)
    problems: list[Problem] = msgspec.field(default_factory=list)
    registry: list[tuple[str, list[Any]]] = msgspec.field(default_factory=list)
    entries: int = 0
    raw_bytes: int = 0
    registry_rows: int = 0

    def sessions(self) -> set[str]:
        return {b.session_id for b in self.batches}

    def empty(self) -> bool:
        return not (self.metas or self.batches or self.cursors or self.problems or self.registry)


class Writer:
    """Buffers one ingest's writes and commits them unit by unit."""

    def __init__(
        self,
        engine: Engine,
        estimate: Estimator | None = None,
        flush_entries: int = FLUSH_ENTRIES,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.estimate = estimate
        self.emit_events = True  # append session.updated / llm.call / … for what a unit newly stored
        self.flush_entries = flush_entries
        # mark the analytics roll-ups of what a unit touched as owed (rollup_pending.py) instead of
        # rebuilding them in its transaction: the webhook path, settled in batches
        self.defer_rollups = False
        mark = placeholder(engine)
        tc = schema.tool_calls
        marks4 = ", ".join([mark] * 4)
        self._sql = {
            "entries": bulk.insert_ignore(schema.entries, rows.ENTRY_COLS, mark),
            "llm": bulk.insert_ignore(schema.llm_calls, rows.LLM_COLS, mark),
            "call": bulk.upsert_fill(tc, rows.CALL_COLS, mark),
            "call_result": bulk.upsert_fill(tc, rows.CALL_COLS + rows.RESULT_COLS[2:], mark),
            "result": bulk.upsert_fill(tc, rows.RESULT_COLS, mark),
            "nested": bulk.upsert_fill(tc, rows.NESTED_COLS, mark),
            "compaction": bulk.insert_ignore(schema.compactions, rows.COMPACTION_COLS, mark),
            "change": bulk.insert_ignore(schema.changes, rows.CHANGE_COLS, mark),
            "problem": bulk.insert_ignore(schema.problems, rows.PROBLEM_COLS, mark),
            "cursor": bulk.upsert_replace(schema.cursors, ("key", "value", "updated_ms"), ("key",), mark),
            "session": bulk.upsert_replace(
                schema.sessions, rows.META_COLS, ("session_id",), mark, rows.META_FILL, rows.META_RANKED
            ),
            "pending": rollup_pending.mark_sql(mark),
            "block": f"INSERT INTO entry_blocks (block_id, sid, codec, data) VALUES ({marks4})",
        }
        self._cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
        self.unit = Unit()
        self._pending: set[str] = set()  # the sessions of `unit`'s batches, kept as they are added
        self.nonces: list[tuple[str, int]] = []  # webhook (nonce, ms): recorded first in the next write
        self.owners: list[tuple[str, str, int]] = []  # pushed (session, instance, ms): claimed with it
        # what this writer's commits added (not what they offered: another process may have stored
        # the same rows first), and the sessions that got new entries
        self.written = {"entries": 0, "llm_calls": 0, "tool_calls": 0, "sessions": 0}
        self._added_sessions: set[int] = set()

    # -- buffering ------------------------------------------------------------------------------

    def is_pending(self, session_id: str) -> bool:
        """Whether the buffer holds entries of this session (asked once per session planned while the
        buffer fills, so not by collecting its batches' sessions each time)."""
        return session_id in self._pending

    def add_meta(self, metas: Iterable[SessionMeta]) -> None:
        self.unit.metas.extend(metas)

    def add_batch(self, batch: TranscriptBatch) -> None:
        self.unit.problems.extend(batch.problems)
        if batch.entries or batch.tool_results:
            self.unit.batches.append(batch)
            self._pending.add(batch.session_id)
            self.unit.entries += len(batch.entries)
            self.unit.raw_bytes += sum(len(e.raw) for e in batch.entries)

    def add_problems(self, problems: Iterable[Problem]) -> None:
        self.unit.problems.extend(problems)

    def set_cursor(self, key: str, value: Any) -> None:
        self.unit.cursors[key] = msgspec.json.encode(value)

    def add_registry(self, kind: str, found: Sequence[Agent | CronJob | CronRun | SubagentRun]) -> None:
        if found:
            self.unit.registry.append((kind, list(found)))
            self.unit.registry_rows += len(found)

    def should_flush(self) -> bool:
        return (
            self.unit.entries >= self.flush_entries
            or self.unit.raw_bytes >= FLUSH_BYTES
            or self.unit.registry_rows >= FLUSH_REGISTRY_ROWS
        )

    def take(self) -> Unit:
        unit, self.unit = self.unit, Unit()
        self._pending = set()
        return unit

    def flush(self) -> None:
        """Write the buffer now, in this thread."""
        self.write(self.take())

    # -- writing --------------------------------------------------------------------------------

    def write(self, unit: Unit) -> None:
        """Commit a unit: one statement per table for all its sessions, then roll-ups and cursors.

        Raises the typed store errors: `ReplayedNonceError` (a webhook nonce was spent: nothing is
        written), `WriteConflictError` (another process wrote the same rows at once: worth a retry),
        `UnstorableValueError` (text the database cannot hold)."""
        if unit.empty():
            return
        if unit.metas or unit.batches or any(kind == "subagent_runs" for kind, _ in unit.registry):
            # sessions or their registry changed: parents are linked again (`Store.link_sessions`)
            unit.cursors[LINKS_OWED] = b"1"
        nonces, self.nonces = self.nonces, []
        owners, self.owners = self.owners, []
        dbapi: Any = self.engine.dialect.dbapi  # the bulk statements run on the driver's own cursor
        try:
            top, added = self._write(unit, nonces, owners)
        except (IntegrityError, OperationalError, dbapi.IntegrityError, dbapi.OperationalError) as exc:
            raise WriteConflictError(f"a concurrent write conflicted: {exc}") from exc
        except (DataError, dbapi.DataError) as exc:  # PostgreSQL: text with NUL
            raise UnstorableValueError(f"a value the database cannot store: {exc}") from exc
        faults.point("unit-committed")
        event_log.announce(top)  # the events were stored with the data (see store/events.py)
        for k in ("entries", "llm_calls", "tool_calls"):
            self.written[k] += added[k]
        self._added_sessions.update(added["sessions"])
        self.written["sessions"] = len(self._added_sessions)

    def _write(
        self, unit: Unit, nonces: list[tuple[str, int]], owners: list[tuple[str, str, int]]
    ) -> tuple[int, dict[str, Any]]:
        """The unit's transaction; returns the top event id and what it added (see `_added`)."""
        with write_tx(self.engine) as conn:
            # One ingest writer at a time on PostgreSQL (SQLite has one by design): two processes
            # upserting the same sessions and rows in their own orders deadlocked, and counting
            # what a unit added is exact only when nobody else commits meanwhile.
            lock_writers(conn)
            if nonces:
                record_nonces(conn, nonces)
            if owners:
                claim_sessions(conn, owners)
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            sids = self._sessions(conn, cur, unit)
            by_sid: dict[int, list[TranscriptBatch]] = {}
            for batch in unit.batches:
                by_sid.setdefault(sids[batch.session_id], []).append(batch)
            probe = Probe(conn, by_sid, unit.problems) if self.emit_events else None
            before = probe.counts(after=False) if probe is not None else _counts(conn, list(by_sid))
            self._entries(conn, cur, by_sid)
            self._facts(cur, by_sid)
            self._registry(cur, unit)
            now = self.clock()
            if unit.problems:
                cur.executemany(self._sql["problem"], [rows.problem_row(p, now) for p in unit.problems])
            if unit.cursors:
                cur.executemany(self._sql["cursor"], [(k, v.decode(), now) for k, v in unit.cursors.items()])
            touched = set(by_sid) | set(sids.values())  # metadata feeds the roll-ups too
            if self.defer_rollups:  # the session's own counts now, the analytics roll-ups owed
                refresh_counts(conn, touched)
                rollup_pending.mark(cur, self._sql["pending"], touched)
            else:
                refresh_rollups(conn, touched)
            found = probe.collect(conn) if probe is not None else []
            after = probe.counts(after=True) if probe is not None else _counts(conn, list(by_sid))
            faults.point("before-events")
            return event_log.append_in(conn, found, now), _added(before, after)

    def _sessions(self, conn: Connection, cur: Any, unit: Unit) -> dict[str, int]:
        """Upsert session metadata; make sure every session of a batch has a row; return sids."""
        metas = rows.merge_metas(unit.metas)
        described = {m.session_id for m in metas}
        bare = sorted(unit.sessions() - described)
        metas += [SessionMeta(session_id=s, instance=rows.UNKNOWN_INSTANCE) for s in bare]
        if metas:
            cur.executemany(self._sql["session"], [rows.meta_row(m) for m in metas])
        wanted = sorted(described | set(bare))
        stmt = select(schema.sessions.c.session_id, schema.sessions.c.sid).where(
            schema.sessions.c.session_id.in_(bindparam("ids", expanding=True))
        )
        out: dict[str, int] = {}
        for i in range(0, len(wanted), 500):
            out.update({row[0]: row[1] for row in conn.execute(stmt, {"ids": wanted[i : i + 500]})})
        return out

    def _entries(self, conn: Connection, cur: Any, by_sid: dict[int, list[TranscriptBatch]]) -> None:
        """One compressed block per session of the unit, and a row per entry pointing into it."""
        sessions = [(sid, [e for b in batches for e in b.entries]) for sid, batches in by_sid.items()]
        sessions = _without_pruned_text([(sid, entries) for sid, entries in sessions if entries], conn)
        if not sessions:
            return
        blocks, entry_rows = [], []
        for block_id, (sid, entries) in zip(block_ids(conn, len(sessions)), sessions, strict=True):
            blocks.append((block_id, sid, "zstd", self._cctx.compress(b"\n".join(e.raw for e in entries))))
            off = 0
            for e in entries:
                size = len(e.raw)
                entry_rows.append(
                    (
                        sid,
                        e.entry_id,
                        e.pos,
                        e.type,
                        e.role,
                        e.parent_id,
                        e.ts_ms,
                        block_id,
                        off,
                        size,
                        e.turn_trigger,
                    )
                )
                off += size + 1
        cur.executemany(self._sql["block"], blocks)
        cur.executemany(self._sql["entries"], entry_rows)
        search.index_entries(
            conn, [(s, e.entry_id, e.role, e.ts_ms, e.raw) for s, es in sessions for e in es]
        )

    def _facts(self, cur: Any, by_sid: dict[int, list[TranscriptBatch]]) -> None:
        """Model calls, tool calls, compactions and changes of every session of the unit."""
        llm: list[Any] = []
        compactions: list[Any] = []
        changes: list[Any] = []
        tools = _ToolRows()
        for sid, batches in by_sid.items():
            for b in batches:
                llm += [self._llm_row(sid, c) for c in b.llm_calls]
                compactions += [rows.compaction_row(sid, c) for c in b.compactions]
                changes += [rows.change_row(sid, c) for c in b.changes]
            tools.add(sid, batches)
        statements = (
            ("llm", llm),
            ("call_result", tools.joined),
            ("call", tools.alone),
            ("result", tools.results),
            ("nested", tools.nested),
            ("compaction", compactions),
            ("change", changes),
        )
        for key, found in statements:
            if found:
                cur.executemany(self._sql[key], found)

    def _llm_row(self, sid: int, c: LlmCall) -> tuple[Any, ...]:
        est, ref = None, None
        if self.estimate is not None and c.usage is not None and (c.cost is None or c.cost.total == 0):
            est, ref = self.estimate(c)
        return rows.llm_row(sid, c, est, ref)

    def _registry(self, cur: Any, unit: Unit) -> None:
        mark = placeholder(self.engine)
        for kind, found in unit.registry:
            table = _REGISTRY_TABLES[kind]
            cols = [c.name for c in table.columns if c.name not in ("first_seen_ms", "last_seen_ms")]
            keys = [c.name for c in table.primary_key.columns]
            cur.executemany(
                bulk.upsert_replace(table, cols, keys, mark),
                [tuple(getattr(r, c) for c in cols) for r in found],
            )


class _ToolRows:
    """Tool-call rows of a unit. A call whose result is in the same unit (the usual case) becomes
    one row in one statement; a second result for a call only fills what is still empty."""

    def __init__(self) -> None:
        self.joined: list[Any] = []
        self.alone: list[Any] = []
        self.results: list[Any] = []
        self.nested: list[Any] = []

    def add(self, sid: int, batches: list[TranscriptBatch]) -> None:
        first: dict[str, ToolResult] = {}
        for b in batches:
            for r in b.tool_results:
                if r.nested:
                    self.nested.append(rows.nested_row(sid, r))
                elif r.call_id in first:
                    self.results.append(rows.result_row(sid, r))
                else:
                    first[r.call_id] = r
        for b in batches:
            for t in b.tool_calls:
                res = first.pop(t.call_id, None)
                if res is None:
                    self.alone.append(rows.call_row(sid, t))
                else:
                    self.joined.append(rows.call_row(sid, t) + rows.result_row(sid, res)[2:])
        self.results.extend(rows.result_row(sid, r) for r in first.values())


def _without_pruned_text(
    sessions: list[tuple[int, list[Any]]], conn: Connection
) -> list[tuple[int, list[Any]]]:
    """A session whose text retention pruned gets only entries it does not hold yet: a re-read of its
    source (a lost cursor, a webhook sent again) neither stores the pruned text again nor re-indexes it."""
    pruned = retention.pruned_sids(conn, [sid for sid, _ in sessions])
    if not pruned:
        return sessions
    out = []
    for sid, entries in sessions:
        held = retention.stored_entry_ids(conn, sid) if sid in pruned else set()
        new = [e for e in entries if e.entry_id not in held] if held else entries
        if new:
            out.append((sid, new))
    return out


def _counts(conn: Connection, sids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(entries, model calls, tool calls) of these sessions, from their roll-ups."""
    s = schema.sessions
    stmt = select(s.c.sid, s.c.n_entries, s.c.n_llm_calls, s.c.n_tool_calls).where(
        s.c.sid.in_(bindparam("sids", expanding=True))
    )
    out: dict[int, tuple[int, int, int]] = {}
    for i in range(0, len(sids), 500):
        out.update({r[0]: (r[1], r[2], r[3]) for r in conn.execute(stmt, {"sids": sids[i : i + 500]})})
    return out


def _added(before: dict[int, tuple[int, int, int]], after: dict[int, tuple[int, int, int]]) -> dict[str, Any]:
    """What a unit added: the growth of its sessions' roll-ups (exact: writers do not overlap)."""
    grown = {
        sid: tuple(a - b for a, b in zip(row, before.get(sid, (0, 0, 0)), strict=True))
        for sid, row in after.items()
    }
    return {
        "entries": sum(g[0] for g in grown.values()),
        "llm_calls": sum(g[1] for g in grown.values()),
        "tool_calls": sum(g[2] for g in grown.values()),
        "sessions": {sid for sid, g in grown.items() if g[0] > 0},
    }


def block_ids(conn: Connection, n: int) -> list[int]:
    """`n` new block ids. Writers hold the database's write lock (SQLite) or draw from the column's
    sequence (PostgreSQL, where several server processes may write at once)."""
    if conn.dialect.name == "sqlite":
        top = conn.execute(select(func.coalesce(func.max(schema.entry_blocks.c.block_id), 0))).scalar_one()
        return list(range(int(top) + 1, int(top) + 1 + n))
    seq = text(
        "SELECT nextval(pg_get_serial_sequence('entry_blocks', 'block_id')) FROM generate_series(1, :n)"
    )
    return [int(r[0]) for r in conn.execute(seq, {"n": n})]


class WriterThread:
    """Commits units in the background, in order; the first failure is re-raised to the caller."""

    def __init__(self, writer: Writer, on_commit: Callable[[Unit], None], depth: int = 1) -> None:
        self.writer = writer
        self.on_commit = on_commit
        self._queue: queue.Queue[Unit | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._in_flight: list[set[str]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="clawscope-writer", daemon=True)
        self._thread.start()

    def submit(self, unit: Unit) -> None:
        self._raise()
        if unit.empty():
            return
        with self._lock:
            self._in_flight.append(unit.sessions())
        self._queue.put(unit)

    def in_flight(self, session_id: str) -> bool:
        with self._lock:
            return any(session_id in s for s in self._in_flight)

    def drain(self) -> None:
        """Wait until every submitted unit is committed."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _run(self) -> None:
        while True:
            unit = self._queue.get()
            try:
                if unit is None:
                    return
                if self._error is None:
                    self.writer.write(unit)
                    self.on_commit(unit)
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc
            finally:
                if unit is not None:
                    with self._lock:
                        self._in_flight.pop(0)
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

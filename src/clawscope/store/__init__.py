"""The store: the only place that speaks SQL. `Store` opens (and migrates) a database by URL.

Ingest writes through `Writer` (bulk, transactional, with cursors); readers use the query modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec
from sqlalchemy import Engine, bindparam, select, text

from clawscope.store import schema
from clawscope.store.engine import create_store_engine
from clawscope.store.entries import raw_entries
from clawscope.store.migrate import migrate
from clawscope.store.rollups import refresh_rollups
from clawscope.store.writer import Writer
from clawscope.timeutil import now_ms

__all__ = ["Store", "Writer"]


class Store:
    """A migrated database and the small reads ingest needs."""

    def __init__(self, url: str, *, auto_migrate: bool = True, clock: Callable[[], int] = now_ms) -> None:
        self.url = url
        self.clock = clock  # epoch ms; injected by tests (what "now" is for storing times and retention)
        self.engine: Engine = create_store_engine(url)
        if auto_migrate:
            migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cursors --------------------------------------------------------------------------------

    def cursors(self, prefix: str) -> dict[str, bytes]:
        """Saved cursors whose key starts with `prefix` (one per file: fetched in one go, as tuples)."""
        stmt = select(schema.cursors.c.key, schema.cursors.c.value).where(
            schema.cursors.c.key.startswith(prefix, autoescape=True)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return {k: v.encode() for k, v in rows}

    def cursor(self, key: str) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.execute(select(schema.cursors.c.value).where(schema.cursors.c.key == key)).scalar()
        return value.encode() if value is not None else None

    # -- what is already stored -----------------------------------------------------------------

    def sessions_with_entries(self) -> set[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.sessions.c.session_id).where(schema.sessions.c.n_entries > 0))
            return {r[0] for r in rows}

    def entry_ids(self, session_id: str) -> set[str]:
        stmt = (
            select(schema.entries.c.entry_id)
            .join(schema.sessions, schema.sessions.c.sid == schema.entries.c.sid)
            .where(schema.sessions.c.session_id == session_id)
        )
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(stmt)}

    def deleted_session_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(schema.deleted_sessions.c.session_id))}

    def session_records(self, session_id: str) -> list[tuple[int, bytes]]:
        """The raw transcript records of a session, in order (as they were read from OpenClaw)."""
        with self.engine.connect() as conn:
            sid = conn.execute(
                select(schema.sessions.c.sid).where(schema.sessions.c.session_id == session_id)
            ).scalar()
            return [] if sid is None else [(pos, raw) for pos, _, raw in raw_entries(conn, sid)]

    def sessions_with_tool_calls(
        self, session_id: str | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        """(session id, key, agent id) of the sessions that have tool calls (or of one session)."""
        s = schema.sessions.c
        stmt = select(s.session_id, s.key, s.agent_id).order_by(s.first_ms, s.sid)
        stmt = stmt.where(s.session_id == session_id) if session_id else stmt.where(s.n_tool_calls > 0)
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(stmt)]

    def problem_count(self) -> int:
        return self.row_counts()["problems"]

    def row_counts(self) -> dict[str, int]:
        """Rows of the tables whose growth an ingest reports (what is new is the difference)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM problems), (SELECT count(*) FROM cron_runs), "
                    "(SELECT count(*) FROM subagent_runs)"
                )
            ).one()
        return {"problems": int(row[0]), "cron_runs": int(row[1]), "subagent_runs": int(row[2])}

    # -- after ingest ---------------------------------------------------------------------------

    def link_sessions(self) -> None:
        """Resolve parent session keys to sessions (a sub-agent's parent, a fork's source)."""
        with self.engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            conn.execute(_PARENT_FROM_RUNS)
            conn.execute(_PARENT_SID)

    def record_run(self, started_ms: int, status: str, counts: dict[str, int]) -> None:
        with self.engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            conn.execute(
                schema.ingest_runs.insert().values(
                    started_ms=started_ms,
                    finished_ms=self.clock(),
                    status=status,
                    counts=msgspec.json.encode(counts).decode(),
                )
            )

    def refresh(self, session_ids: Iterable[str]) -> None:
        """Recompute roll-ups of these sessions (after a deletion, a repricing…)."""
        ids = list(session_ids)
        if not ids:
            return
        stmt = select(schema.sessions.c.sid).where(
            schema.sessions.c.session_id.in_(bindparam("ids", expanding=True))
        )
        with self.engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            refresh_rollups(conn, [r[0] for r in conn.execute(stmt, {"ids": ids})])


# A sub-agent whose own entry does not name its parent: the sub-agent run registry does.
_PARENT_FROM_RUNS = text("""
UPDATE sessions SET parent_key = (
    SELECT r.requester_session_key FROM subagent_runs r
    WHERE r.child_session_key = sessions.key AND r.requester_session_key IS NOT NULL
    ORDER BY r.created_ms DESC LIMIT 1)
WHERE parent_key IS NULL AND key IS NOT NULL
  AND EXISTS (SELECT 1 FROM subagent_runs r WHERE r.child_session_key = sessions.key
              AND r.requester_session_key IS NOT NULL)
""")

# A key names the current session of a conversation; when it has had several (resets), the parent
# is the one that had started before the child, the latest such.
_PARENT_SID = text("""
UPDATE sessions SET parent_sid = COALESCE(
    (SELECT p.sid FROM sessions p
     WHERE p.key = sessions.parent_key AND p.instance = sessions.instance AND p.sid <> sessions.sid
       AND p.first_ms <= sessions.first_ms
     ORDER BY p.first_ms DESC LIMIT 1),
    (SELECT p.sid FROM sessions p
     WHERE p.key = sessions.parent_key AND p.instance = sessions.instance AND p.sid <> sessions.sid
     ORDER BY p.first_ms DESC LIMIT 1))
WHERE parent_key IS NOT NULL
""")

"""The store: the only place that speaks SQL, and the only door to the database.

`Store(url)` opens (and migrates) a database by URL. Everything above the store reads and writes through
it: its own methods for what ingest needs (cursors, what is already stored, linking sessions) and its
parts, each a module named by what it answers:

    store.totals        totals.py        cost, tokens, calls of a period; per model, agent, day, …
    store.tools         tools.py         per-tool calls and durations; failures
    store.sessions      sessions.py      sessions of a period, pages, one session, spawn trees, deletion
    store.transcripts   transcripts.py   raw entries, history pages, per-turn tokens and cost
    store.context       context_use.py   compactions and prompt sizes
    store.priced_calls  priced_calls.py  what OpenClaw priced, per model and day (reconciliation)
    store.problems      problems.py      input that could not be used as is
    store.keys          api_keys.py      API keys and server secrets
    store.remote        remote.py        registered instances and agents, webhook nonces
                        secrets_key.py   the key of their secrets, kept outside the database
    store.events        events.py        the event log (SSE)
    store.observations  observations.py  hook events and OTLP data
    store.metrics       metrics.py       all-time counters and histograms per label set (/metrics)
    store.exports       exports.py       rows streamed for file exports (sessions, model calls, tool calls)
    store.otlp          otlp_export.py   the OTLP export's turns to send and its cursor
    store.alert_rules   alert_rules.py   alert rules, their channels (secrets sealed), silences
    store.alert_outbox  alert_outbox.py  alert state (grouping, cooldown), history, the delivery outbox
    store.detection     detection.py     the SessionViews failure detectors read (one batch pass)
    store.findings      findings.py      the detectors' findings: stale sessions, sync, pages, counts
    store.rate_limits   rate_limits.py   per-key request counts of the current minute, shared by processes
    store.series        series.py        a measure per hour or day and per model/trigger/agent/… (charts)
    store.search        search.py        full-text search over transcript entries (FTS5 / tsvector)
    store.judge         judge.py         the semantic judge's calls, cached verdicts and own spend
    store.retention     retention.py     transcript text kept N days (prune, vacuum), pruned sessions

Ingest writes through `store.writer()` (bulk, transactional, with cursors). The webhook path's writer
leaves the analytics roll-ups owed (rollup_pending.py): `store.settle()` rebuilds them in one pass, and
every part that reads them settles first, so numbers are always exact. Only names exported here
are public: an import-linter contract keeps every other module of the package private to it, and
another keeps SQLAlchemy inside it. Failures are typed (`clawscope.errors`: `StoreError`,
`ReplayedNonceError`, `WriteConflictError`, `UnstorableValueError`), never matched by their text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import msgspec
from sqlalchemy import Engine, bindparam, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from clawscope.errors import StoreError
from clawscope.store import schema
from clawscope.store.alert_outbox import AlertOutbox, AlertRecord, Claim, StateRow, delivery_id
from clawscope.store.alert_rules import AlertRules, ChannelInput, Silence, StoredChannel, StoredRule
from clawscope.store.api_keys import (
    DEFAULT_RATE_LIMIT,
    KEY_USE_RESOLUTION_MS,
    SCOPES,
    ApiKey,
    ApiKeys,
    parse_scopes,
)
from clawscope.store.context_use import ContextUse
from clawscope.store.detection import SessionViews, ViewCache
from clawscope.store.engine import INGEST_PAGE_CACHE_MIB, PAGE_CACHE_MIB, create_store_engine, placeholder
from clawscope.store.events import TYPES as EVENT_TYPES
from clawscope.store.events import Event, EventFilter, EventLog, Notifications
from clawscope.store.exports import Exports
from clawscope.store.findings import FindingQuery, Findings, StoredFinding, SyncResult, finding_id
from clawscope.store.findings import position as finding_position
from clawscope.store.judge import JudgeCall, JudgeCalls
from clawscope.store.metrics import CALL_BOUNDS_MS, TOOL_BOUNDS_MS, Metrics
from clawscope.store.migrate import migrate
from clawscope.store.observations import Observations
from clawscope.store.otlp_export import OtlpExport
from clawscope.store.priced_calls import PricedCalls
from clawscope.store.problems import Problems
from clawscope.store.rate_limits import RateLimits
from clawscope.store.remote import MODES, AgentReg, Instance, Remote, Signer
from clawscope.store.retention import Pruned, Retention, RetentionReport
from clawscope.store.rollup_pending import settle as settle_rollups
from clawscope.store.rollup_sessions import refresh_rollups
from clawscope.store.search import Search, SearchHit, SearchQuery
from clawscope.store.secrets_key import SecretsKey
from clawscope.store.series import Series
from clawscope.store.sessions import Sessions
from clawscope.store.tools import ToolCalls
from clawscope.store.totals import Totals
from clawscope.store.transcripts import Transcripts
from clawscope.store.writer import (
    FLUSH_ENTRIES,
    FLUSH_REGISTRY_ROWS,
    LINKS_OWED,
    Estimator,
    Unit,
    Writer,
    WriterThread,
)
from clawscope.timeutil import now_ms

__all__ = [
    "CALL_BOUNDS_MS",
    "DEFAULT_RATE_LIMIT",
    "EVENT_TYPES",
    "FLUSH_ENTRIES",
    "FLUSH_REGISTRY_ROWS",
    "INGEST_PAGE_CACHE_MIB",
    "KEY_USE_RESOLUTION_MS",
    "MODES",
    "PAGE_CACHE_MIB",
    "SCOPES",
    "TOOL_BOUNDS_MS",
    "AgentReg",
    "AlertRecord",
    "ApiKey",
    "ChannelInput",
    "Claim",
    "Estimator",
    "Event",
    "EventFilter",
    "EventLog",
    "FindingQuery",
    "Findings",
    "Instance",
    "JudgeCall",
    "Notifications",
    "Pruned",
    "Remote",
    "RetentionReport",
    "SearchHit",
    "SearchQuery",
    "Signer",
    "Silence",
    "StateRow",
    "Store",
    "StoredChannel",
    "StoredFinding",
    "StoredRule",
    "SyncResult",
    "Unit",
    "ViewCache",
    "Writer",
    "WriterThread",
    "delivery_id",
    "finding_id",
    "finding_position",
    "parse_scopes",
]


class Store:
    """A migrated database: the small reads and writes ingest needs, and the parts listed above.

    `clock` (epoch ms) is "now" for every time the store records and for retention; tests inject it.
    `engine` is for the store's own modules and for tests; nothing above the store touches it.
    `must_exist` (read-only commands): a database that does not exist, or has no clawscope schema, is a
    `StoreError` and nothing is created.
    """

    def __init__(
        self,
        url: str,
        *,
        auto_migrate: bool = True,
        clock: Callable[[], int] = now_ms,
        secrets_key: str = "",
        secrets_key_file: str = "",
        must_exist: bool = False,
        page_cache_mib: int = PAGE_CACHE_MIB,
    ) -> None:
        self.url = url
        self.clock = clock
        self.engine: Engine = create_store_engine(url, must_exist=must_exist, page_cache_mib=page_cache_mib)
        if auto_migrate or must_exist:
            try:
                migrate(self.engine, create=not must_exist)
            except StoreError:
                self.engine.dispose()  # the connection it opened is closed now, not by the collector
                raise
        e, c = self.engine, clock
        self.totals = Totals(e, c)
        self.tools = ToolCalls(e, c)
        self.sessions = Sessions(e, c)
        self.transcripts = Transcripts(e, c)
        self.context = ContextUse(e, c)
        self.priced_calls = PricedCalls(e, c)
        self.problems = Problems(e, c)
        self.keys = ApiKeys(e, c)
        self.remote = Remote(e, c, SecretsKey(url, secrets_key, secrets_key_file))
        self.events = EventLog(e, c)
        self.observations = Observations(e, c)
        self.metrics = Metrics(e, c)
        self.exports = Exports(e, c)
        self.otlp = OtlpExport(e, c)
        self.alert_rules = AlertRules(e, c, key=lambda: self.remote.fernet)
        self.alert_outbox = AlertOutbox(e, c)
        self.detection = SessionViews(e, c)
        self.findings = Findings(e, c)
        self.rate_limits = RateLimits(e, c)
        self.series = Series(e, c)
        self.search = Search(e, c)
        self.judge = JudgeCalls(e, c)
        self.retention = Retention(e, c)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def writer(self, estimate: Estimator | None = None, flush_entries: int = FLUSH_ENTRIES) -> Writer:
        """A writer for one ingest (or one group of webhook sessions), on this store's clock."""
        return Writer(self.engine, estimate, flush_entries, clock=self.clock)

    # -- cursors --------------------------------------------------------------------------------

    def cursors(self, prefix: str) -> dict[str, bytes]:
        """Saved cursors whose key starts with `prefix` (one per file: fetched in one go, as tuples)."""
        stmt = select(schema.cursors.c.key, schema.cursors.c.value).where(
            schema.cursors.c.key.startswith(prefix, autoescape=True)
        )
        if prefix and prefix[-1] < "\x7f" and self.engine.dialect.name == "sqlite":
            # the same rows as a range of the key's index (SQLite compares text by code point): a LIKE
            # with ESCAPE scanned every agent's cursors for each agent, most of a re-run at 4M lines.
            # (Not on PostgreSQL, whose collation need not order text by code point.)
            after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            stmt = stmt.where(schema.cursors.c.key >= prefix, schema.cursors.c.key < after)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return {k: v.encode() for k, v in rows}

    def cursors_of(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The saved cursors of these keys (those that have one), a few hundred keys per query."""
        stmt = select(schema.cursors.c.key, schema.cursors.c.value).where(
            schema.cursors.c.key.in_(bindparam("keys", expanding=True))
        )
        out: dict[str, bytes] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(keys), _KEYS_PER_QUERY):
                out.update(
                    (k, v.encode()) for k, v in conn.execute(stmt, {"keys": keys[i : i + _KEYS_PER_QUERY]})
                )
        return out

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

    def seen_entries(self, session_id: str) -> set[str] | None:
        """The entry ids stored for this session, or None when a user removed it (never stored again):
        what a pushed session is decoded against, in one statement (`is_deleted` + `entry_ids`)."""
        mark = placeholder(self.engine)
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(_SEEN.format(m=mark), (session_id, session_id)).all()
        if any(r[0] == 1 for r in rows):
            return None
        return {r[1] for r in rows}

    def deleted_session_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(schema.deleted_sessions.c.session_id))}

    def is_deleted(self, session_id: str) -> bool:
        """Whether a user removed this session (it is never stored again)."""
        t = schema.deleted_sessions
        with self.engine.connect() as conn:
            return (
                conn.execute(select(t.c.session_id).where(t.c.session_id == session_id)).first() is not None
            )

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

    def last_run_ms(self) -> int | None:
        """When the last recorded ingest finished (None: never); `StoreError` when the database is
        unreachable."""
        try:
            with self.engine.connect() as conn:
                value = conn.execute(select(func.max(schema.ingest_runs.c.finished_ms))).scalar()
        except SQLAlchemyError as exc:
            raise StoreError(f"the database is unavailable: {exc.__class__.__name__}") from None
        return None if value is None else int(value)

    # -- after ingest ---------------------------------------------------------------------------

    def link_sessions(self) -> None:
        """Resolve parent session keys to sessions (a sub-agent's parent, a fork's source)."""
        owed = schema.cursors.c.key == LINKS_OWED
        with self.engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            if conn.execute(select(schema.cursors.c.key).where(owed)).first() is None:
                return  # nothing written since the last linking
            conn.execute(_PARENT_FROM_RUNS)
            conn.execute(_PARENT_SID["IS NOT" if conn.dialect.name == "sqlite" else "IS DISTINCT FROM"])
            conn.execute(schema.cursors.delete().where(owed))

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

    def settle(self) -> int:
        """Rebuild the analytics roll-ups a deferring writer (webhooks) left owed; how many sessions
        (every read of those roll-ups does it first; serve also does it after a burst)."""
        return settle_rollups(self.engine)

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


_KEYS_PER_QUERY = 500  # bound parameters per `IN (…)`: well under either backend's limit

_SEEN = (
    "SELECT 1, NULL FROM deleted_sessions WHERE session_id = {m} UNION ALL "
    "SELECT 0, e.entry_id FROM entries e JOIN sessions s ON s.sid = e.sid WHERE s.session_id = {m}"
)

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
_PARENT_OF = """COALESCE(
    (SELECT p.sid FROM sessions p
     WHERE p.key = sessions.parent_key AND p.instance = sessions.instance AND p.sid <> sessions.sid
       AND p.first_ms <= sessions.first_ms
     ORDER BY p.first_ms DESC LIMIT 1),
    (SELECT p.sid FROM sessions p
     WHERE p.key = sessions.parent_key AND p.instance = sessions.instance AND p.sid <> sessions.sid
     ORDER BY p.first_ms DESC LIMIT 1))"""
# Only rows whose parent changes are written: a re-run that found nothing new writes nothing (it
# rewrote every sub-agent's row, a tenth of a second at 17k sessions). `IS NOT` is SQLite's
# null-safe inequality (`IS DISTINCT FROM` only since 3.39), PostgreSQL's is `IS DISTINCT FROM`.
_PARENT_SID = {
    op: text(
        f"UPDATE sessions SET parent_sid = {_PARENT_OF} "
        f"WHERE parent_key IS NOT NULL AND parent_sid {op} {_PARENT_OF}"
    )
    for op in ("IS NOT", "IS DISTINCT FROM")
}

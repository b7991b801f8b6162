"""The unit of work of ingest: buffer decoded data, then write it with its cursors in one transaction.

A cursor is only ever committed together with the rows read up to it, so a crash (kill -9) at any
moment leaves either both or neither: the next run resumes exactly where the last commit stopped,
and primary keys make any re-read harmless. After the rows, each touched session's roll-up columns
are recomputed from the rows themselves (never incremented), which keeps them exact and idempotent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import zstandard
from sqlalchemy import Connection, Engine, bindparam, select, text

from clawscope.model import (
    Agent,
    CronJob,
    CronRun,
    Problem,
    SessionKind,
    SessionMeta,
    SubagentRun,
    TranscriptBatch,
)
from clawscope.store import bulk, schema
from clawscope.store.engine import placeholder

FLUSH_ENTRIES = 20_000
FLUSH_BYTES = 16 << 20
_ZSTD_LEVEL = 3

UNKNOWN_INSTANCE = "unknown"
META_COLS = (
    "session_id",
    "instance",
    "agent_id",
    "key",
    "key_kind",
    "key_rank",
    "channel",
    "chat_type",
    "parent_key",
    "spawn_depth",
    "job_id",
    "label",
    "display_name",
    "status",
    "started_ms",
    "ended_ms",
    "updated_ms",
    "model_provider",
    "model",
    "elevated_level",
    "created_via",
    "subagent_role",
    "source",
    "inferred_kind",
    "cwd",
    "header_version",
)
# Facts that never change once known keep their first value; everything else takes the newest.
META_FILL = ("instance", "inferred_kind", "cwd", "header_version")
# Two keys can name one transcript (a cron job's base key and its run key): the more specific wins.
META_RANKED = ("key_rank", ("key", "key_kind", "job_id"))
ENTRY_COLS = (
    "sid",
    "entry_id",
    "pos",
    "type",
    "role",
    "parent_id",
    "ts_ms",
    "block_id",
    "block_off",
    "block_len",
)
LLM_COLS = (
    "sid",
    "entry_id",
    "ts_ms",
    "started_ms",
    "provider",
    "model",
    "api",
    "stop_reason",
    "is_error",
    "error_message",
    "has_usage",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "total_tokens",
    "cost_input",
    "cost_output",
    "cost_cache_read",
    "cost_cache_write",
    "cost_total",
    "est_cost",
    "price_ref",
    "response_id",
    "run_id",
    "turn_trigger",
)
CALL_COLS = (
    "sid",
    "call_id",
    "call_entry_id",
    "ts_ms",
    "call_name",
    "wrapper",
    "arguments",
    "exec_command",
    "exec_elevated",
    "exec_host",
    "exec_security",
    "exec_ask",
)
RESULT_COLS = (
    "sid",
    "call_id",
    "result_entry_id",
    "result_ts_ms",
    "result_tool_name",
    "result_real_name",
    "result_error",
    "is_error_flag",
    "details_status",
    "exit_code",
    "duration_ms",
    "error_text",
    "output_chars",
)
NESTED_COLS = ("sid", "call_id", "nested_entry_id", "nested_name", "nested_error")
COMPACTION_COLS = (
    "sid",
    "entry_id",
    "ts_ms",
    "tokens_before",
    "first_kept_entry_id",
    "from_hook",
    "summary_chars",
)
CHANGE_COLS = ("sid", "entry_id", "ts_ms", "kind", "provider", "model", "api", "thinking_level")

Estimator = Any  # callable(LlmCall) -> (est_cost | None, price_ref | None); see clawscope.pricing


class Writer:
    """Buffers one ingest's writes; `flush()` commits a consistent slice."""

    def __init__(
        self, engine: Engine, estimate: Estimator | None = None, flush_entries: int = FLUSH_ENTRIES
    ) -> None:
        self.engine = engine
        self.estimate = estimate
        self.flush_entries = flush_entries
        mark = placeholder(engine)
        self._sql = {
            "entries": bulk.insert_ignore(schema.entries, ENTRY_COLS, mark),
            "llm": bulk.insert_ignore(schema.llm_calls, LLM_COLS, mark),
            "call": bulk.upsert_fill(schema.tool_calls, CALL_COLS, mark),
            "result": bulk.upsert_fill(schema.tool_calls, RESULT_COLS, mark),
            "nested": bulk.upsert_fill(schema.tool_calls, NESTED_COLS, mark),
            "compaction": bulk.insert_ignore(schema.compactions, COMPACTION_COLS, mark),
            "change": bulk.insert_ignore(schema.changes, CHANGE_COLS, mark),
            "session": bulk.upsert_replace(
                schema.sessions, META_COLS, ("session_id",), mark, META_FILL, META_RANKED
            ),
            "block": f"INSERT INTO entry_blocks (sid, codec, data) VALUES ({mark}, {mark}, {mark})",
        }
        self._cctx = zstandard.ZstdCompressor(level=_ZSTD_LEVEL)
        self._reset()
        self.written = {"entries": 0, "llm_calls": 0, "tool_calls": 0, "problems": 0, "sessions": 0}

    def _reset(self) -> None:
        self.metas: list[SessionMeta] = []
        self.batches: list[TranscriptBatch] = []
        self.cursors: dict[str, bytes] = {}
        self.problems: list[Problem] = []
        self.registry: list[tuple[str, list[Any]]] = []
        self._pending_entries = 0
        self._pending_bytes = 0

    # -- buffering ------------------------------------------------------------------------------

    def add_meta(self, metas: Iterable[SessionMeta]) -> None:
        self.metas.extend(metas)

    def add_batch(self, batch: TranscriptBatch) -> None:
        self.problems.extend(batch.problems)
        if batch.entries or batch.tool_results:
            self.batches.append(batch)
            self._pending_entries += len(batch.entries)
            self._pending_bytes += sum(len(e.raw) for e in batch.entries)

    def add_problems(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def set_cursor(self, key: str, value: msgspec.Struct | dict[str, Any]) -> None:
        self.cursors[key] = msgspec.json.encode(value)

    def add_registry(self, kind: str, rows: Sequence[Agent | CronJob | CronRun | SubagentRun]) -> None:
        if rows:
            self.registry.append((kind, list(rows)))

    def should_flush(self) -> bool:
        return self._pending_entries >= self.flush_entries or self._pending_bytes >= FLUSH_BYTES

    # -- writing --------------------------------------------------------------------------------

    def flush(self) -> None:
        if not (self.metas or self.batches or self.cursors or self.problems or self.registry):
            return
        with self.engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            sids = self._sessions(conn)
            touched: set[int] = set()
            for batch in self.batches:
                sid = sids[batch.session_id]
                touched.add(sid)
                self._batch(conn, sid, batch)
            self._registry(conn)
            self._problems(conn)
            self._cursors(conn)
            refresh_rollups(conn, touched)
        self.written["sessions"] += len({b.session_id for b in self.batches})
        self._reset()

    def _sessions(self, conn: Connection) -> dict[str, int]:
        """Upsert session metadata; make sure every session of a batch has a row; return sids."""
        described = {m.session_id for m in self.metas}
        bare = sorted({b.session_id for b in self.batches} - described)
        metas = self.metas + [SessionMeta(session_id=s, instance=UNKNOWN_INSTANCE) for s in bare]
        if metas:
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cur.executemany(self._sql["session"], [_meta_row(m) for m in metas])
        wanted = sorted(described | set(bare))
        stmt = select(schema.sessions.c.session_id, schema.sessions.c.sid).where(
            schema.sessions.c.session_id.in_(bindparam("ids", expanding=True))
        )
        out: dict[str, int] = {}
        for i in range(0, len(wanted), 500):
            out.update({row[0]: row[1] for row in conn.execute(stmt, {"ids": wanted[i : i + 500]})})
        return out

    def _batch(self, conn: Connection, sid: int, batch: TranscriptBatch) -> None:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if batch.entries:
            block_id = self._block(conn, cur, sid, [e.raw for e in batch.entries])
            off = 0
            rows = []
            for e in batch.entries:
                rows.append(
                    (sid, e.entry_id, e.pos, e.type, e.role, e.parent_id, e.ts_ms, block_id, off, len(e.raw))
                )
                off += len(e.raw) + 1
            cur.executemany(self._sql["entries"], rows)
            self.written["entries"] += len(rows)
        if batch.llm_calls:
            cur.executemany(self._sql["llm"], [self._llm_row(sid, c) for c in batch.llm_calls])
            self.written["llm_calls"] += len(batch.llm_calls)
        if batch.tool_calls:
            cur.executemany(self._sql["call"], [_call_row(sid, t) for t in batch.tool_calls])
            self.written["tool_calls"] += len(batch.tool_calls)
        plain = [r for r in batch.tool_results if not r.nested]
        nested = [r for r in batch.tool_results if r.nested]
        if plain:
            cur.executemany(self._sql["result"], [_result_row(sid, r) for r in plain])
        if nested:
            cur.executemany(
                self._sql["nested"],
                [(sid, r.call_id, r.entry_id, r.real_name, r.status == "error") for r in nested],
            )
        if batch.compactions:
            cur.executemany(
                self._sql["compaction"],
                [
                    (
                        sid,
                        c.entry_id,
                        c.ts_ms,
                        c.tokens_before,
                        c.first_kept_entry_id,
                        c.from_hook,
                        c.summary_chars,
                    )
                    for c in batch.compactions
                ],
            )
        if batch.changes:
            cur.executemany(
                self._sql["change"],
                [
                    (sid, c.entry_id, c.ts_ms, c.kind, c.provider, c.model, c.api, c.thinking_level)
                    for c in batch.changes
                ],
            )

    def _block(self, conn: Connection, cur: Any, sid: int, raws: list[bytes]) -> int:
        data = self._cctx.compress(b"\n".join(raws))
        if conn.dialect.name == "sqlite":
            cur.execute(self._sql["block"], (sid, "zstd", data))
            return int(cur.lastrowid)
        cur.execute(self._sql["block"] + " RETURNING block_id", (sid, "zstd", data))
        return int(cur.fetchone()[0])

    def _llm_row(self, sid: int, c: Any) -> tuple[Any, ...]:
        u, k = c.usage, c.cost
        est, ref = (None, None)
        if self.estimate is not None and u is not None and (k is None or k.total == 0):
            est, ref = self.estimate(c)
        return (
            sid,
            c.entry_id,
            c.ts_ms,
            c.started_ms,
            c.provider,
            c.model,
            c.api,
            c.stop_reason,
            c.stop_reason == "error",
            c.error_message,
            u is not None,
            u.input if u else 0,
            u.output if u else 0,
            u.cache_read if u else 0,
            u.cache_write if u else 0,
            u.total if u else 0,
            k.input if k else None,
            k.output if k else None,
            k.cache_read if k else None,
            k.cache_write if k else None,
            k.total if k else None,
            est,
            ref,
            c.response_id,
            c.run_id,
            c.turn_trigger,
        )

    def _registry(self, conn: Connection) -> None:
        mark = placeholder(self.engine)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for kind, rows in self.registry:
            table = _REGISTRY_TABLES[kind]
            cols = [c.name for c in table.columns if c.name not in ("first_seen_ms", "last_seen_ms")]
            keys = [c.name for c in table.primary_key.columns]
            sql = bulk.upsert_replace(table, cols, keys, mark)
            cur.executemany(sql, [tuple(getattr(r, c) for c in cols) for r in rows])

    def _problems(self, conn: Connection) -> None:
        if not self.problems:
            return
        cols = ("source", "path", "location", "code", "severity", "reason", "excerpt", "first_seen_ms")
        sql = bulk.insert_ignore(schema.problems, cols, placeholder(self.engine))
        now = int(time.time() * 1000)
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.executemany(
            sql,
            [
                (
                    p.source,
                    p.path,
                    p.location,
                    str(p.code),
                    str(p.severity),
                    p.reason,
                    p.excerpt.replace("\x00", "\ufffd"),
                    now,
                )
                for p in self.problems
            ],
        )
        self.written["problems"] += len(self.problems)

    def _cursors(self, conn: Connection) -> None:
        if not self.cursors:
            return
        now = int(time.time() * 1000)
        sql = bulk.upsert_replace(
            schema.cursors, ("key", "value", "updated_ms"), ("key",), placeholder(self.engine)
        )
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.executemany(sql, [(k, v.decode(), now) for k, v in self.cursors.items()])


_REGISTRY_TABLES = {
    "agents": schema.agents,
    "cron_jobs": schema.cron_jobs,
    "cron_runs": schema.cron_runs,
    "subagent_runs": schema.subagent_runs,
}


def _meta_row(m: SessionMeta) -> tuple[Any, ...]:
    return (
        m.session_id,
        m.instance,
        m.agent_id,
        m.key,
        str(m.kind) if m.kind else None,
        _key_rank(m),
        m.channel,
        m.chat_type,
        m.parent_key,
        m.spawn_depth,
        m.job_id,
        m.label,
        m.display_name,
        m.status,
        m.started_ms,
        m.ended_ms,
        m.updated_ms,
        m.model_provider,
        m.model,
        m.elevated_level,
        m.created_via,
        m.subagent_role,
        str(m.source) if m.source else None,
        str(m.inferred_kind) if m.inferred_kind else None,
        m.cwd,
        m.header_version,
    )


def _key_rank(m: SessionMeta) -> int:
    if m.key is None:
        return 0
    return 2 if m.kind in (SessionKind.CRON_RUN, SessionKind.SUBAGENT) else 1


def _call_row(sid: int, t: Any) -> tuple[Any, ...]:
    x = t.exec
    return (
        sid,
        t.call_id,
        t.entry_id,
        t.ts_ms,
        t.name,
        t.wrapper,
        t.arguments.decode("utf-8", "replace") if t.arguments is not None else None,
        x.command if x else None,
        x.elevated if x else None,
        x.host if x else None,
        x.security if x else None,
        x.ask if x else None,
    )


def _result_row(sid: int, r: Any) -> tuple[Any, ...]:
    return (
        sid,
        r.call_id,
        r.entry_id,
        r.ts_ms,
        r.tool_name,
        r.real_name,
        r.status == "error",
        r.is_error_flag,
        r.details_status,
        r.exit_code,
        r.duration_ms,
        r.error_text,
        r.output_chars,
    )


_ROLLUP = text("""
UPDATE sessions SET
  n_entries = (SELECT count(*) FROM entries e WHERE e.sid = sessions.sid),
  n_messages = (SELECT count(*) FROM entries e WHERE e.sid = sessions.sid AND e.type = 'message'),
  first_ms = (SELECT min(e.ts_ms) FROM entries e WHERE e.sid = sessions.sid),
  last_ms = (SELECT max(e.ts_ms) FROM entries e WHERE e.sid = sessions.sid),
  n_llm_calls = (SELECT count(*) FROM llm_calls l WHERE l.sid = sessions.sid),
  n_errors = (SELECT count(*) FROM llm_calls l WHERE l.sid = sessions.sid AND l.is_error),
  tokens_in = (SELECT COALESCE(sum(l.input), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  tokens_out = (SELECT COALESCE(sum(l.output), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  cache_read = (SELECT COALESCE(sum(l.cache_read), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  cache_write = (SELECT COALESCE(sum(l.cache_write), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  total_tokens = (SELECT COALESCE(sum(l.total_tokens), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  cost_usd = (SELECT COALESCE(sum(l.cost_total), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  est_cost_usd = (SELECT COALESCE(sum(l.est_cost), 0) FROM llm_calls l WHERE l.sid = sessions.sid),
  n_tool_calls = (SELECT count(*) FROM tool_calls t
                  WHERE t.sid = sessions.sid AND t.call_entry_id IS NOT NULL),
  n_tool_errors = (SELECT count(*) FROM tool_calls t
                   WHERE t.sid = sessions.sid AND t.call_entry_id IS NOT NULL AND t.status = 'error'),
  n_compactions = (SELECT count(*) FROM compactions c WHERE c.sid = sessions.sid)
WHERE sid IN :sids
""").bindparams(bindparam("sids", expanding=True))


def refresh_rollups(conn: Connection, sids: Iterable[int]) -> None:
    """Recompute the roll-up columns of these sessions from their rows."""
    ordered = sorted(sids)
    for i in range(0, len(ordered), 500):
        conn.execute(_ROLLUP, {"sids": ordered[i : i + 500]})

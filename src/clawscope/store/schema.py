"""The store's schema: every table, in one place, for SQLite and PostgreSQL alike.

Design choices that later features rely on:
* A transcript session is identified by OpenClaw's session id (`sessions.session_id`) and, inside the
  store, by a small integer `sid` that every per-entry table uses (shorter keys, faster joins).
* Every entry is kept, once: `entries` has the primary key (sid, entry_id), so copies, archives and
  the same session in both storage eras can never be stored twice. The entry's raw JSON lives in
  zstd-compressed `entry_blocks` (one per written batch), not per row: storing raw text per row made
  ingest three times slower and the database 2.5× the size of the transcripts.
* Derived facts (model calls, tool calls, compactions, changes) hang off the entry that carries them
  and share its key, so they are idempotent too. A tool call gathers its call, its result and the
  nested-tool record in one row, each written by an upsert that only fills its own columns.
* All times are integer milliseconds since the epoch, UTC.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL; INTEGER on SQLite so that an INTEGER PRIMARY KEY is the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")
Ms = BigInteger  # milliseconds since the epoch

# A session's kind and trigger (its generated columns) from its raw kind columns, as SQL over any row
# source that has `key_kind` and `inferred_kind`.
KIND_SQL = _KIND = "COALESCE(key_kind, inferred_kind, 'other')"
TRIGGER_SQL = _TRIGGER = (
    f"CASE {_KIND} WHEN 'main' THEN 'main' WHEN 'direct' THEN 'main' WHEN 'group' THEN 'channel' "
    "WHEN 'channel' THEN 'channel' WHEN 'room' THEN 'channel' WHEN 'subagent' THEN 'subagent' "
    "WHEN 'cron' THEN 'cron' WHEN 'cron-run' THEN 'cron' WHEN 'heartbeat' THEN 'heartbeat' "
    "WHEN 'hook' THEN 'hook' WHEN 'openai-api' THEN 'api' ELSE 'other' END"
)

sessions = Table(
    "sessions",
    metadata,
    Column("sid", Id, primary_key=True, autoincrement=True),
    Column("session_id", Text, nullable=False, unique=True),
    Column("instance", Text, nullable=False),
    Column("agent_id", Text),
    Column("key", Text),
    Column("key_kind", Text),  # from the session key: authoritative
    Column("key_rank", Integer),  # how specific the key is: a cron run key beats its job's base key
    Column("inferred_kind", Text),  # from the transcript, when no key is known (old archives)
    Column("kind", Text, Computed(_KIND, persisted=True)),
    Column("trigger", Text, Computed(_TRIGGER, persisted=True)),
    Column("channel", Text),
    Column("chat_type", Text),
    Column("parent_key", Text),
    Column("parent_sid", Id),
    Column("spawn_depth", Integer),
    Column("job_id", Text),
    Column("label", Text),
    Column("display_name", Text),
    Column("status", Text),
    Column("started_ms", Ms),
    Column("ended_ms", Ms),
    Column("updated_ms", Ms),
    Column("model_provider", Text),
    Column("model", Text),
    Column("cwd", Text),
    Column("header_version", Integer),
    Column("elevated_level", Text),
    Column("created_via", Text),
    Column("subagent_role", Text),
    Column("source", Text),
    # Roll-ups of the session's own rows, recomputed after every write that touches it.
    Column("n_entries", Integer, nullable=False, server_default="0"),
    Column("n_messages", Integer, nullable=False, server_default="0"),
    Column("n_llm_calls", Integer, nullable=False, server_default="0"),
    Column("n_errors", Integer, nullable=False, server_default="0"),
    Column("n_tool_calls", Integer, nullable=False, server_default="0"),
    Column("n_tool_errors", Integer, nullable=False, server_default="0"),
    Column("n_compactions", Integer, nullable=False, server_default="0"),
    Column("tokens_in", BigInteger, nullable=False, server_default="0"),
    Column("tokens_out", BigInteger, nullable=False, server_default="0"),
    Column("cache_read", BigInteger, nullable=False, server_default="0"),
    Column("cache_write", BigInteger, nullable=False, server_default="0"),
    Column("total_tokens", BigInteger, nullable=False, server_default="0"),
    # Money columns hold whole nano-dollars (clawscope.money, revision 0016): sums are exact everywhere.
    Column("cost_usd", BigInteger, nullable=False, server_default="0"),
    Column("est_cost_usd", BigInteger, nullable=False, server_default="0"),
    Column("first_ms", Ms),
    Column("last_ms", Ms),
    Index(None, "instance", "key"),
    Index(None, "agent_id"),
    Index(None, "last_ms"),
    Index(None, "parent_sid"),
)

entry_blocks = Table(
    "entry_blocks",
    metadata,
    Column("block_id", Id, primary_key=True, autoincrement=True),
    Column("sid", Id, nullable=False),
    Column("codec", Text, nullable=False),  # "zstd" | "none"
    Column("data", LargeBinary, nullable=False),
    Index(None, "sid"),
)

entries = Table(
    "entries",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("entry_id", Text, primary_key=True),
    Column("pos", BigInteger, nullable=False),
    Column("type", Text, nullable=False),
    Column("role", Text),
    Column("parent_id", Text),
    Column("ts_ms", Ms),
    Column("block_id", Id, nullable=False),
    Column("block_off", Integer, nullable=False),
    Column("block_len", Integer, nullable=False),
    Column("turn_trigger", Text),  # messages of a heartbeat/cron/announce turn inside another session
    # No (sid, pos) index: a session's entries are read by the primary-key prefix and sorted; one
    # B-tree less to update per entry made bulk ingest measurably faster.
    sqlite_with_rowid=False,
)

llm_calls = Table(
    "llm_calls",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("entry_id", Text, primary_key=True),
    Column("ts_ms", Ms),
    Column("started_ms", Ms),
    Column("provider", Text),
    Column("model", Text),
    Column("api", Text),
    Column("stop_reason", Text),
    Column("is_error", Boolean, nullable=False),
    Column("error_message", Text),
    Column("has_usage", Boolean, nullable=False),
    Column("input", BigInteger, nullable=False),
    Column("output", BigInteger, nullable=False),
    Column("cache_read", BigInteger, nullable=False),
    Column("cache_write", BigInteger, nullable=False),
    Column("total_tokens", BigInteger, nullable=False),
    # costs in nano-dollars (clawscope.money), rounded half-even from what OpenClaw wrote
    Column("cost_input", BigInteger),
    Column("cost_output", BigInteger),
    Column("cost_cache_read", BigInteger),
    Column("cost_cache_write", BigInteger),
    Column("cost_total", BigInteger),  # what OpenClaw reported; NULL when it reported none
    Column("est_cost", BigInteger),  # our estimate, only for calls with tokens and no reported cost
    Column("price_ref", Text),  # which price the estimate used
    Column("response_id", Text),
    Column("run_id", Text),
    Column("turn_trigger", Text),
    # A rowid table: rows are wide (≈200 bytes), which WITHOUT ROWID B-trees store badly.
)

_TOOL_NAME = "COALESCE(nested_name, result_real_name, call_name, result_tool_name, 'unknown')"
_TOOL_STATUS = (
    "CASE WHEN result_error IS TRUE OR nested_error IS TRUE THEN 'error' "
    "WHEN result_entry_id IS NULL AND nested_entry_id IS NULL THEN 'pending' ELSE 'ok' END"
)

_FAILED = "status = 'error' AND call_entry_id IS NOT NULL"
tool_calls = Table(
    "tool_calls",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("call_id", Text, primary_key=True),
    # from the assistant's toolCall block
    Column("call_entry_id", Text),
    Column("ts_ms", Ms),
    Column("call_name", Text),
    Column("wrapper", Text),
    Column("arguments", Text),  # a preview (≤ 4 KiB): the whole arguments are in the raw entry
    Column("args_bytes", Integer),
    Column("exec_command", Text),
    Column("exec_elevated", Boolean),
    Column("exec_host", Text),
    Column("exec_security", Text),
    Column("exec_ask", Text),
    # from the toolResult message
    Column("result_entry_id", Text),
    Column("result_ts_ms", Ms),
    Column("result_tool_name", Text),
    Column("result_real_name", Text),
    Column("result_error", Boolean),
    Column("is_error_flag", Boolean),
    Column("details_status", Text),
    Column("exit_code", Integer),
    Column("duration_ms", BigInteger),
    Column("error_text", Text),
    Column("output_bytes", BigInteger),
    # from an openclaw.nested-tool.v1 record (the real tool behind a tool_call wrapper)
    Column("nested_entry_id", Text),
    Column("nested_name", Text),
    Column("nested_error", Boolean),
    Column("name", Text, Computed(_TOOL_NAME, persisted=True)),
    Column("status", Text, Computed(_TOOL_STATUS, persisted=True)),
    # the failed calls only (a few percent): the tools report's most frequent and latest failures
    # read them without scanning every tool call (revision 0025)
    Index(
        "ix_tool_calls_failed",
        "ts_ms",
        "name",
        sqlite_where=text(_FAILED),
        postgresql_where=text(_FAILED),
    ),
)

compactions = Table(
    "compactions",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("entry_id", Text, primary_key=True),
    Column("ts_ms", Ms),
    Column("tokens_before", BigInteger),
    Column("first_kept_entry_id", Text),
    Column("from_hook", Boolean),
    Column("summary_chars", Integer, nullable=False),
    sqlite_with_rowid=False,
)

changes = Table(
    "changes",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("entry_id", Text, primary_key=True),
    Column("ts_ms", Ms),
    Column("kind", Text, nullable=False),
    Column("provider", Text),
    Column("model", Text),
    Column("api", Text),
    Column("thinking_level", Text),
    sqlite_with_rowid=False,
)

agents = Table(
    "agents",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("agent_id", Text, primary_key=True),
    Column("state_dir", Text),
    Column("first_seen_ms", Ms),
    Column("last_seen_ms", Ms),
)

cron_jobs = Table(
    "cron_jobs",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("job_id", Text, primary_key=True),
    Column("agent_id", Text),
    Column("name", Text),
    Column("enabled", Boolean),
    Column("schedule_kind", Text),
    Column("schedule", Text),
    Column("session_target", Text),
    Column("created_ms", Ms),
    Column("updated_ms", Ms),
    Column("last_status", Text),
    Column("consecutive_errors", Integer),
)

cron_runs = Table(
    "cron_runs",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("job_id", Text, primary_key=True),
    Column("ts_ms", Ms, primary_key=True),
    Column("status", Text),
    Column("action", Text),
    Column("summary", Text),
    Column("error", Text),
    Column("session_id", Text),
    Column("session_key", Text),
    Column("run_at_ms", Ms),
    Column("duration_ms", BigInteger),
    Column("model", Text),
    Column("provider", Text),
    Column("input_tokens", BigInteger),
    Column("output_tokens", BigInteger),
    Column("total_tokens", BigInteger),
    Column("delivered", Boolean),
    Column("delivery_status", Text),
    Index(None, "session_id"),
)

subagent_runs = Table(
    "subagent_runs",
    metadata,
    Column("instance", Text, primary_key=True),
    Column("run_id", Text, primary_key=True),
    Column("child_session_key", Text),
    Column("requester_session_key", Text),
    Column("controller_session_key", Text),
    Column("task", Text),
    Column("label", Text),
    Column("model", Text),
    Column("spawn_mode", Text),
    Column("created_ms", Ms),
    Column("started_ms", Ms),
    Column("ended_ms", Ms),
    Column("outcome", Text),
    Column("ended_reason", Text),
    Index(None, "child_session_key"),
)

problems = Table(
    "problems",
    metadata,
    Column("problem_id", Id, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("excerpt", Text, nullable=False),
    Column("first_seen_ms", Ms, nullable=False),
    UniqueConstraint("path", "location", "code"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_ms", Ms, nullable=False),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("run_id", Id, primary_key=True, autoincrement=True),
    Column("started_ms", Ms, nullable=False),
    Column("finished_ms", Ms),
    Column("status", Text, nullable=False),
    Column("counts", Text),
)

# Sessions a user removed from clawscope (DELETE /sessions/{id}): never ingested again.
deleted_sessions = Table(
    "deleted_sessions",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("deleted_ms", Ms, nullable=False),
)

# -- the server (revision 0002) ------------------------------------------------------------------------

# API keys: only a SHA-256 of the key is stored (keys are 256-bit random, so a fast hash is safe);
# `key_id` is the public prefix shown in listings and used to find the row before comparing hashes.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("key_hash", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("scopes", Text, nullable=False),  # comma-separated
    Column("rate_limit", Integer, nullable=False),  # requests per minute
    Column("created_ms", Ms, nullable=False),
    Column("revoked_ms", Ms),
    Column("last_used_ms", Ms),
    Column("rotated_from", Text),
)

# Server-side secrets shared by every replica on one database (the JWT signing key). Generated on
# first use; never logged, never returned by any endpoint.
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_ms", Ms, nullable=False),
)

# -- remote ingestion (revision 0003) -------------------------------------------------------------------

# OpenClaw instances that push to this server. The gateway token is stored encrypted (Fernet, key from
# `server_secrets`), never returned.
openclaw_instances = Table(
    "openclaw_instances",
    metadata,
    Column("instance_id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("gateway_url", Text, nullable=False),
    Column("gateway_token_enc", Text),
    Column("otel_endpoint", Text),
    Column("otel_enabled", Boolean, nullable=False),
    Column("ingestion_mode", Text, nullable=False),  # "full" | "trace_only"
    Column("created_ms", Ms, nullable=False),
)

# Registered agents; each signs its webhooks with its own secret (stored encrypted: it must be read
# back to verify HMACs).
openclaw_agents = Table(
    "openclaw_agents",
    metadata,
    Column("agent_id", Text, primary_key=True),
    Column("instance_id", Text, nullable=False),
    Column("agent_key", Text, nullable=False),
    Column("agent_name", Text),
    Column("model", Text),
    Column("secret_enc", Text, nullable=False),
    Column("created_ms", Ms, nullable=False),
    Column("rotated_ms", Ms),
    UniqueConstraint("instance_id", "agent_key"),
)

# Nonces of accepted webhooks: the primary key rejects a replay from any server process; rows older
# than the timestamp window are pruned (a replay that old is refused for its timestamp anyway).
webhook_nonces = Table(
    "webhook_nonces",
    metadata,
    Column("nonce", Text, primary_key=True),
    Column("seen_ms", Ms, nullable=False),
    Index(None, "seen_ms"),
)

# -- events and observations (revision 0004) -----------------------------------------------------------

# The event log behind the SSE stream: one row per thing a subscriber may want to hear about
# (`session.updated`, `llm.call`, `tool.call`, `problem`, …), written when data arrives. Readers
# resume by id (`Last-Event-ID`); old rows are pruned after the retention period.
# Ids are never reused (SQLite AUTOINCREMENT, revision 0006): they are the `Last-Event-ID` contract.
# `ts_ms` is the data's own time; `created_ms`, when the row was stored, is what retention prunes by.
events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("ts_ms", Ms, nullable=False),
    Column("created_ms", Ms, nullable=False),
    Column("type", Text, nullable=False),
    Column("agent", Text),
    Column("session_id", Text),
    Column("kind", Text),
    Column("instance", Text),
    Column("payload", Text, nullable=False),  # JSON object
    Index(None, "created_ms"),
    sqlite_autoincrement=True,
)

# What OpenClaw reports live, apart from its transcripts: plugin-hook and outbound-webhook events and
# diagnostics-otel spans, metric points and log records. Kept apart from the transcript tables so that
# nothing here is ever counted twice in the statistics (which read transcripts only).
observations = Table(
    "observations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),  # hook | otlp
    # tool | llm | session | message | problem | run | span | metric | log | other
    Column("category", Text, nullable=False),
    Column("name", Text, nullable=False),  # the event, span or metric name as sent
    Column("ts_ms", Ms, nullable=False),
    Column("received_ms", Ms, nullable=False),
    Column("instance", Text),
    Column("agent", Text),
    Column("session_id", Text),
    Column("session_key", Text),
    Column("run_id", Text),
    Column("call_id", Text),
    Column("tool_name", Text),
    Column("provider", Text),
    Column("model", Text),
    Column("tokens_in", BigInteger),
    Column("tokens_out", BigInteger),
    Column("cache_read", BigInteger),
    Column("cache_write", BigInteger),
    Column("total_tokens", BigInteger),
    Column("cost_usd", BigInteger),  # nano-dollars (clawscope.money)
    Column("value", Float),  # a metric point's value
    Column("duration_ms", Float),
    Column("is_error", Boolean),
    Column("dedupe", Text, nullable=False, unique=True),  # a resent event/span/point is stored once
    Column("payload", Text, nullable=False),  # JSON object: the rest, content previews capped
    Index(None, "session_id"),
    Index(None, "category", "ts_ms"),
)

# -- analytics roll-ups (revision 0005) ---------------------------------------------------------------

# Exact pre-aggregates that let stats over millions of model calls answer in milliseconds, rebuilt
# from the rows (store/rollup_hours.py), never incremented. Per session × UTC hour: the rows of
# every session a write touches; per hour × attributes × model (`rollup_hourly`): every hour those
# rows had or have. Text keys are '' for none (`agent`, `channel`, `provider`); `model` is 'unknown'
# when unnamed; `trigger` is resolved (the turn's own, else the session's); `hour_ms` is -1 for rows
# without a timestamp.
_ROLLUP_METRICS = (
    "llm_calls",
    "errors",
    "tokens_in",
    "tokens_out",
    "cache_read",
    "cache_write",
    "total_tokens",
    "cost",
    "est_cost",
    "tool_calls",
    "tool_errors",
    "latency_sum",  # ms, over the calls whose latency is known
    "latency_n",
)
_ROLLUP_ATTRS = ("instance", "agent", "kind", "trigger", "channel")


def _metrics() -> list[Column]:  # type: ignore[type-arg]
    return [Column(m, BigInteger, nullable=False) for m in _ROLLUP_METRICS]  # cost: nano-dollars


def _attrs(primary: bool) -> list[Column]:  # type: ignore[type-arg]
    return [Column(a, Text, primary_key=primary or a == "trigger", nullable=False) for a in _ROLLUP_ATTRS]


rollup_calls = Table(
    "rollup_calls",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("hour_ms", Ms, primary_key=True),
    *_attrs(False),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *_metrics(),
    Index(None, "hour_ms"),
    # covering: distinct sessions per model are counted from the index alone (rollup_queries.py)
    Index(None, "provider", "model", "sid", "llm_calls"),
)

rollup_entries = Table(
    "rollup_entries",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("hour_ms", Ms, primary_key=True),
    *_attrs(False),
    Column("entries", BigInteger, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Index(None, "hour_ms"),
    # covering: distinct sessions (and messages) in all and per attribute come from the indexes alone
    Index("ix_rollup_entries_sid_messages", "sid", "messages"),
    Index("ix_rollup_entries_hour_sid", "hour_ms", "sid", "messages"),  # per hour (revision 0025)
    *(
        Index(f"ix_rollup_entries_{a}_sid", a, "sid", "messages")
        for a in ("agent", "kind", "trigger", "channel")
    ),
)

rollup_hourly = Table(
    "rollup_hourly",
    metadata,
    Column("hour_ms", Ms, primary_key=True),
    *_attrs(True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *_metrics(),
)

# Per UTC day × attributes × model (revision 0018): `rollup_hourly` summed by day, rebuilt for every
# day whose hours changed. A year of history is a few ten thousand rows here against millions of hourly
# ones, so a period's whole days are read from it and only its partial days from `rollup_hourly`.
# `day_ms` is the day's midnight, -1 for rows without a timestamp (hour -1).
rollup_daily = Table(
    "rollup_daily",
    metadata,
    Column("day_ms", Ms, primary_key=True),
    *_attrs(True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *_metrics(),
)

# Per UTC hour × session attributes (revision 0025): `rollup_hourly` without model and trigger, rebuilt
# with it; a per-hour listing sums a tenth of the rows. Since revision 0028 also the distinct sessions
# and the messages of the hour's entries (`rollup_entries`), hours with entries but no model call
# included: these attributes are the session's own, so a session falls in one row per hour and the
# rows' sums are distinct counts under any filter on them.
HOUR_SESSION_MEASURES = ("sessions", "messages")
rollup_hour_totals = Table(
    "rollup_hour_totals",
    metadata,
    Column("hour_ms", Ms, primary_key=True),
    *(Column(a, Text, primary_key=True) for a in ("instance", "agent", "kind", "channel")),
    *_metrics(),
    *(Column(m, BigInteger, nullable=False, server_default="0") for m in HOUR_SESSION_MEASURES),
)
# Per UTC hour, every attribute summed (revision 0028): `rollup_hour_totals` summed by hour, rebuilt with
# it; an unfiltered per-hour listing reads one row per hour instead of a dozen.
rollup_hour_all = Table(
    "rollup_hour_all",
    metadata,
    Column("hour_ms", Ms, primary_key=True),
    *_metrics(),
    *(Column(m, BigInteger, nullable=False) for m in HOUR_SESSION_MEASURES),
)

# -- tool and model-session roll-ups (revision 0025) --------------------------------------------------------

# Rebuilt from the rows for every session a write touches (store/rollup_tools.py,
# store/rollup_model_sessions.py), like the analytics roll-ups. Tool calls per session × UTC hour × tool
# × duration bucket (store/duration_histogram.py; bucket -1: no known duration), with the session's
# attributes (`hour_ms` -1: no timestamp); summed per block of 4**level UTC days aligned on a multiple of
# its length (`start_day`: days since 1970; level -1: no timestamp; level 99: every day) × tool × bucket,
# without attributes, kept by difference like the metrics roll-ups: any run of whole days is a few blocks.
_TOOL_MEASURES = ("calls", "errors", "dur_sum")
rollup_tool_sid = Table(
    "rollup_tool_sid",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("hour_ms", Ms, primary_key=True),
    Column("tool", Text, primary_key=True),
    Column("bucket", Integer, primary_key=True),
    *(Column(a, Text, nullable=False) for a in ("instance", "agent", "kind", "channel")),
    *(Column(m, BigInteger, nullable=False) for m in _TOOL_MEASURES),
    Index(None, "hour_ms"),
)
rollup_tool_blocks = Table(
    "rollup_tool_blocks",
    metadata,
    Column("level", Integer, primary_key=True),
    Column("start_day", Integer, primary_key=True),
    Column("tool", Text, primary_key=True),
    Column("bucket", Integer, primary_key=True),
    *(Column(m, BigInteger, nullable=False) for m in _TOOL_MEASURES),
)
# The UTC days on which a session called a model, per `dim` ('model': provider × model; 'provider':
# provider, model ''), with `single` = 1 when that was its only such day: a period's distinct sessions
# per model are the single-day sessions of its whole days (summed per day × key × attributes in
# `rollup_model_day_sessions`) plus a distinct count over the multi-day ones and the partial days.
rollup_model_sid_days = Table(
    "rollup_model_sid_days",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("dim", Text, primary_key=True),
    Column("day_ms", Ms, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *(Column(a, Text, nullable=False) for a in ("instance", "agent", "kind", "channel")),
    Column("single", Integer, nullable=False),
    Index(None, "single", "day_ms", "dim", "provider", "model", "sid"),
)
rollup_model_day_sessions = Table(
    "rollup_model_day_sessions",
    metadata,
    Column("day_ms", Ms, primary_key=True),
    Column("dim", Text, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *(Column(a, Text, primary_key=True) for a in ("instance", "agent", "kind", "channel")),
    Column("sessions", BigInteger, nullable=False),
)
# Prompt sizes (input + cache read + cache write) of the calls with usage: per session × UTC hour, and
# per UTC day × attributes (recomputed per day: a maximum cannot be taken back).
_PROMPT_MEASURES = ("calls", "total", "peak")
rollup_prompt_sid = Table(
    "rollup_prompt_sid",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("hour_ms", Ms, primary_key=True),
    *(Column(a, Text, nullable=False) for a in ("instance", "agent", "kind", "channel")),
    *(Column(m, BigInteger, nullable=False) for m in _PROMPT_MEASURES),
    Index(None, "hour_ms"),
)
rollup_prompt_daily = Table(
    "rollup_prompt_daily",
    metadata,
    Column("day_ms", Ms, primary_key=True),
    *(Column(a, Text, primary_key=True) for a in ("instance", "agent", "kind", "channel")),
    *(Column(m, BigInteger, nullable=False) for m in _PROMPT_MEASURES),
)
ROLLUP_0025_TABLES = (
    rollup_hour_totals,
    rollup_tool_sid,
    rollup_tool_blocks,
    rollup_model_sid_days,
    rollup_model_day_sessions,
    rollup_prompt_sid,
    rollup_prompt_daily,
)

# -- priced model calls per day (revision 0026) -------------------------------------------------------------

# The calls OpenClaw priced (cost > 0, with a time), summed per session × UTC hour × provider × model, then
# per day (store/rollup_priced.py): what `/stats/reconciliation` re-prices, instead of grouping every call.
# `provider` and `model` are '' when the call named none.
_PRICED_MEASURES = ("calls", "tokens_in", "tokens_out", "cache_read", "cache_write", "cost")
rollup_priced_sid = Table(
    "rollup_priced_sid",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("hour_ms", Ms, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *(Column(a, Text, nullable=False) for a in ("instance", "agent", "kind", "channel")),
    *(Column(m, BigInteger, nullable=False) for m in _PRICED_MEASURES),
    Index(None, "hour_ms"),
)
rollup_priced_daily = Table(
    "rollup_priced_daily",
    metadata,
    Column("day_ms", Ms, primary_key=True),
    Column("provider", Text, primary_key=True),
    Column("model", Text, primary_key=True),
    *(Column(a, Text, primary_key=True) for a in ("instance", "agent", "kind", "channel")),
    *(Column(m, BigInteger, nullable=False) for m in _PRICED_MEASURES),
)
# The costliest sessions first (the overview's top ten) read this backwards and stop after the page
# instead of sorting every session. (Not one on reported + estimated cost: SQLAlchemy cannot reflect an
# expression index, and the migrations reflect this table's indexes.)
sessions_cost_index = Index("ix_sessions_cost", sessions.c.cost_usd, sessions.c.sid)
ROLLUP_0026_TABLES = (rollup_priced_sid, rollup_priced_daily)
ROLLUP_0026_INDEXES = (sessions_cost_index,)
# Every scan of the sessions active in a period (the Sessions page's count, facets and top-N sorts,
# `/stats/sessions`' cost percentiles) reads this narrow index instead of the wide rows: at 100,000
# sessions a table scan was 40-60 ms, this one 5-20 ms (revision 0027). The raw kind columns, not the
# generated `kind`/`trigger`: SQLite does not answer generated columns from an index. The sid last: the
# rowid in SQLite's entries already, needed for PostgreSQL's index-only scans (the top-N sorts).
sessions_scan_index = Index(
    "ix_sessions_scan",
    *(
        sessions.c[c]
        for c in (
            "last_ms", "first_ms", "n_entries", "cost_usd", "est_cost_usd", "agent_id", "key_kind",
            "inferred_kind", "channel", "instance", "sid",
        )
    ),
)  # fmt: skip
SESSIONS_0027_INDEXES = (sessions_scan_index,)

# -- metrics roll-ups and export state (revision 0011) ----------------------------------------------------

# What `/metrics` and the OTLP metrics export read: all-time counters per label set, so a scrape over
# millions of model calls reads a few hundred rows. Two levels, like the analytics roll-ups: per session
# (`metric_*_sid`, rebuilt from the rows for every session a write touches, carrying the session's
# attributes as they were then) and per label set (`metric_calls`, `metric_tools`), changed by exactly
# the difference between a session's old and new rows in the same transaction (metric_rollups.py), so
# they always equal the sum of the per-session rows (a test rebuilds them from scratch and compares).
# Latency histograms keep one count per bucket (not cumulative): bucket i counts durations ≤ its upper
# bound and above the previous one; the last counts the rest (+Inf). Bounds are in milliseconds.
CALL_LATENCY_BOUNDS_MS = (250, 500, 1000, 2000, 5000, 10000, 20000, 30000, 60000, 120000, 300000)
TOOL_DURATION_BOUNDS_MS = (10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000)
CALL_MEASURES = (
    "calls",
    "errors",
    "tokens_in",
    "tokens_out",
    "cache_read",
    "cache_write",
    "cost",
    "est_cost",
)
TOOL_MEASURES = ("calls", "errors", "pending")
CALL_KEYS = ("instance", "agent", "trigger", "channel", "provider", "model")
TOOL_KEYS = ("instance", "agent", "trigger", "channel", "tool")


def _measure_columns(measures: tuple[str, ...], buckets: int) -> list[Column]:  # type: ignore[type-arg]
    return [
        *(Column(m, BigInteger, nullable=False) for m in measures),  # cost: nano-dollars
        Column("dur_n", BigInteger, nullable=False),  # calls whose duration is known
        Column("dur_sum", BigInteger, nullable=False),  # ms
        *(Column(f"b{i}", BigInteger, nullable=False) for i in range(buckets + 1)),
        Column("first_ms", Ms),  # the earliest call (ranks label values for the cardinality caps)
    ]


def _label_columns(keys: tuple[str, ...], primary: bool) -> list[Column]:  # type: ignore[type-arg]
    return [Column(k, Text, primary_key=primary, nullable=False) for k in keys]


metric_calls_sid = Table(
    "metric_calls_sid",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("trigger", Text, primary_key=True, nullable=False),
    Column("provider", Text, primary_key=True, nullable=False),
    Column("model", Text, primary_key=True, nullable=False),
    *_label_columns(("instance", "agent", "channel"), False),
    *_measure_columns(CALL_MEASURES, len(CALL_LATENCY_BOUNDS_MS)),
)

metric_tools_sid = Table(
    "metric_tools_sid",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("trigger", Text, primary_key=True, nullable=False),
    Column("tool", Text, primary_key=True, nullable=False),
    *_label_columns(("instance", "agent", "channel"), False),
    *_measure_columns(TOOL_MEASURES, len(TOOL_DURATION_BOUNDS_MS)),
)

metric_calls = Table(
    "metric_calls",
    metadata,
    *_label_columns(CALL_KEYS, True),
    *_measure_columns(CALL_MEASURES, len(CALL_LATENCY_BOUNDS_MS)),
)

metric_tools = Table(
    "metric_tools",
    metadata,
    *_label_columns(TOOL_KEYS, True),
    *_measure_columns(TOOL_MEASURES, len(TOOL_DURATION_BOUNDS_MS)),
)

# Sessions without entries (known from metadata only): few, so counting those with entries is a count
# of the table (instant in SQLite) minus a count of this small partial index, not a scan of every row.
empty_sessions_index = Index(
    "ix_sessions_empty",
    sessions.c.sid,
    sqlite_where=sessions.c.n_entries == 0,
    postgresql_where=sessions.c.n_entries == 0,
)

# Requests received on the ingestion endpoints (session webhook, event webhooks, OTLP), per endpoint and
# outcome: every server process adds what it counted (a few seconds' worth at a time), so `/metrics`
# shows the same totals in every process and after a restart.
request_counts = Table(
    "request_counts",
    metadata,
    Column("endpoint", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("updated_ms", Ms, nullable=False),
)

# OTLP export: which turns were sent (and acknowledged) to which endpoint. A turn is one trace; its row
# is written in the transaction that follows the receiver's acknowledgement of the batch that carried
# it, so a crash resends at most the batch in flight (with the same ids: they derive from OpenClaw's).
# `last_pos` is the turn's last transcript position sent (entries that arrive later are sent alone).
otlp_turns = Table(
    "otlp_turns",
    metadata,
    Column("target", Text, primary_key=True),  # a hash of the endpoint: two endpoints, two cursors
    Column("sid", Id, primary_key=True),
    Column("turn", Text, primary_key=True),  # entry id of the message that opened the turn
    Column("last_pos", BigInteger, nullable=False),
    Column("spans", Integer, nullable=False),
    Column("sent_ms", Ms, nullable=False),
)

# Per session and target: how many entries the session had when its turns were last all sent, and from
# when on (`from_ms`, NULL for all of its history), so a pass skips every session that did not change
# and a back-fill reaching further back looks again.
otlp_sessions = Table(
    "otlp_sessions",
    metadata,
    Column("target", Text, primary_key=True),
    Column("sid", Id, primary_key=True),
    Column("seen_entries", Integer, nullable=False),
    Column("from_ms", Ms),
)

# -- findings (revision 0012) -----------------------------------------------------------------------------

# What the failure detectors found (detect/). A finding's identity is detector + session + anchor entry:
# `finding_id` is a hash of the three, so re-ingesting (even into a new database) gives the same id and
# the primary key makes a duplicate impossible. Findings are recomputed when their session grows or
# the detectors' settings change; one no longer produced is `resolved` (never deleted), and `open` again
# if it comes back. Session attributes are copied in (`session_id`, `agent`, `instance`) so the list
# survives a session's re-ingest under a new `sid`.
findings = Table(
    "findings",
    metadata,
    Column("finding_id", Text, primary_key=True),
    Column("detector", Text, nullable=False),
    Column("detector_version", Integer, nullable=False),
    Column("family", Text, nullable=False),
    Column("severity", Text, nullable=False),  # info | warning | critical
    Column("confidence", Float, nullable=False),
    Column("session_id", Text, nullable=False),
    Column("agent", Text),
    Column("instance", Text),
    Column("anchor_entry_id", Text, nullable=False),
    Column("entry_ids", Text, nullable=False),  # JSON array
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON object
    Column("first_ms", Ms),
    Column("last_ms", Ms),
    Column("status", Text, nullable=False),  # open | resolved
    Column("created_ms", Ms, nullable=False),
    Column("updated_ms", Ms, nullable=False),
    Column("resolved_ms", Ms),
    UniqueConstraint("detector", "session_id", "anchor_entry_id"),
    Index(None, "session_id"),
    Index(None, "last_ms"),
    Index(None, "family", "last_ms"),
)

# Per session, what its findings were last computed from: the detectors' fingerprint (ids, versions,
# settings) and the session's size then. A session whose size or fingerprint differs is detected again.
detection_state = Table(
    "detection_state",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("n_entries", Integer, nullable=False),
    Column("status", Text),  # the session's status then (a sub-agent that ends changes its parent's view)
    Column("detected_ms", Ms, nullable=False),
)

# -- access (revision 0014) -----------------------------------------------------------------------------

# Requests per API key in the current one-minute window, counted by every server process and replica
# on this database (`store/rate_limits.py`); windows older than a few minutes are pruned.
# The registered instance each pushed session was first stored through: another instance's agent may
# not append to it (`store/remote.py`, `claim_sessions`, in the writer's transaction). Sessions stay
# global (one row in `sessions`), so local ingest and sync still deduplicate.
session_owners = Table(
    "session_owners",
    metadata,
    Column("session_id", Text, primary_key=True),
    Column("instance_id", Text, nullable=False),
    Column("claimed_ms", Ms, nullable=False),
)

rate_windows = Table(
    "rate_windows",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("window_ms", Ms, primary_key=True),
    Column("hits", Integer, nullable=False),
)

# -- alerts (revision 0015) ---------------------------------------------------------------------------
# Rules (their type-specific settings as JSON in `spec`), the channels each rule notifies (a channel's
# secret sealed with Fernet as the remote secrets are, never returned), silences, per rule and scope the
# state that groups firing into one alert and applies the cooldown, the history of alerts and notices,
# and the outbox: one row per alert and channel, claimed by one process at a time (a lease), retried with
# backoff, every attempt recorded. The delivery id is the stable id receivers see (`webhook-id`).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("rule_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("rule_type", Text, nullable=False),
    Column("spec", Text, nullable=False),  # JSON: the rule's settings (clawscope.alerts.rules.Rule)
    Column("enabled", Boolean, nullable=False),
    Column("created_ms", Ms, nullable=False),
    Column("updated_ms", Ms, nullable=False),
)

alert_channels = Table(
    "alert_channels",
    metadata,
    Column("channel_id", Text, primary_key=True),
    Column("rule_id", Text, nullable=False, index=True),
    Column("kind", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("secret_enc", Text),
    Column("options", Text, nullable=False),  # JSON
    Column("created_ms", Ms, nullable=False),
)

alert_silences = Table(
    "alert_silences",
    metadata,
    Column("silence_id", Text, primary_key=True),
    Column("rule_id", Text),  # NULL: every rule
    Column("scope", Text),  # NULL: every scope
    Column("until_ms", Ms, nullable=False),
    Column("reason", Text),
    Column("created_ms", Ms, nullable=False),
)

alert_states = Table(
    "alert_states",
    metadata,
    Column("rule_id", Text, primary_key=True),
    Column("scope", Text, primary_key=True),
    Column("firing", Boolean, nullable=False),
    Column("since_ms", Ms, nullable=False),
    Column("last_fired_ms", Ms),
    Column("alert_id", Text),
    Column("value", Float),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("alert_id", Text, primary_key=True),
    Column("rule_id", Text, nullable=False),
    Column("rule_name", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("kind", Text, nullable=False),  # firing | resolved | digest | test
    Column("severity", Text, nullable=False),
    Column("value", Float),
    Column("message", Text, nullable=False),
    Column("detail", Text, nullable=False),  # JSON
    Column("digest", Boolean, nullable=False),  # held for the rule's daily digest
    Column("at_ms", Ms, nullable=False, index=True),
)

alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("delivery_id", Text, primary_key=True),
    Column("alert_id", Text, nullable=False, index=True),
    Column("channel_id", Text, nullable=False),
    Column("status", Text, nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_ms", Ms, nullable=False),
    Column("claimed_by", Text),
    Column("lease_until_ms", Ms),
    Column("created_ms", Ms, nullable=False),
    Column("done_ms", Ms),
    Index("ix_alert_outbox_due", "status", "next_ms"),
)

alert_attempts = Table(
    "alert_attempts",
    metadata,
    Column("attempt_id", Id, primary_key=True, autoincrement=True),
    Column("delivery_id", Text, nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("worker", Text, nullable=False),
    Column("at_ms", Ms, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("latency_ms", Float, nullable=False),
)

ALERT_TABLES = (
    alert_rules,
    alert_channels,
    alert_silences,
    alert_states,
    alert_history,
    alert_outbox,
    alert_attempts,
)


# -- full-text search (revision 0017) ---------------------------------------------------------------------
# Backend-specific (an FTS5 virtual table on SQLite, a tsvector with a GIN index on PostgreSQL), so
# created by DDL of its own module after the tables above (search.py says why each).
def _create_search(_target: Any, connection: Any, **_kw: Any) -> None:
    from clawscope.store import search

    search.create(connection)


event.listen(metadata, "after_create", _create_search)

# -- semantic judge (revision 0022) --------------------------------------------------------------------
# One row per judge call (or cache-able verdict): the content hash it was asked about, what it said,
# what it cost. Verdicts are reused by `cache_key` (prompt version + model + family + content hash); the
# day's spend is the sum of `cost` (nano-dollars) since the day began (the daily cap).
judge_calls = Table(
    "judge_calls",
    metadata,
    Column("call_id", Integer, primary_key=True, autoincrement=True),
    Column("cache_key", Text, nullable=False),
    Column("session_id", Text, nullable=False),
    Column("family", Text, nullable=False),
    Column("prompt_version", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("outcome", Text, nullable=False),  # ok | error | timeout | invalid | capped
    Column("verdict", Text),  # the validated JSON verdict (outcome ok)
    Column("note", Text),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("cost", BigInteger, nullable=False, default=0),  # nano-dollars, as every amount (money.py)
    Column("created_ms", Ms, nullable=False),
    Index("ix_judge_calls_key", "cache_key", "outcome"),
    Index("ix_judge_calls_created", "created_ms"),
)
JUDGE_TABLES = (judge_calls,)

# -- transcript retention (revision 0024) -------------------------------------------------------------
# Sessions whose raw transcript text (entry blocks, search rows) the retention vacuum dropped
# (store/retention.py). Their entries' metadata rows, model and tool calls, roll-ups and findings stay,
# so every number is unchanged; readers say "pruned" instead of showing empty entries, detection skips
# them, and the writer never stores text again for an entry they already hold.
pruned_sessions = Table(
    "pruned_sessions",
    metadata,
    Column("sid", Id, primary_key=True),
    Column("pruned_ms", Ms, nullable=False),  # the last prune (a resumed session can be pruned again)
    Column("retention_days", Integer, nullable=False),  # the setting it was pruned under
    Column("entries", Integer, nullable=False),  # entries whose text is gone (all prunes summed)
    Column("text_bytes", BigInteger, nullable=False),  # stored (compressed) bytes dropped, summed
)
RETENTION_TABLES = (pruned_sessions,)

# -- roll-ups owed (revision 0023) ---------------------------------------------------------------------
# Sessions whose analytics roll-ups (rollup_calls/entries/hourly/daily, metric_*) are stale: the webhook
# write path marks them here, in the transaction of their rows, instead of rebuilding the roll-ups per
# request; a batched settle (rollup_pending.py) rebuilds them and deletes the marks, and every read of
# those tables settles first. A mark survives a crash with the rows it covers.
rollup_pending = Table(
    "rollup_pending",
    metadata,
    Column("sid", Id, primary_key=True, autoincrement=False),
)
PENDING_TABLES = (rollup_pending,)

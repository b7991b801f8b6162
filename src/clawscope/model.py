"""The normalized model of OpenClaw activity: what every source decodes into and every analysis reads.

Plain data and no I/O. Values OpenClaw may extend (session kinds, stop reasons, entry types) are
kept as strings or map to an `OTHER`/`UNKNOWN` member instead of raising, so a new OpenClaw
release degrades to "unknown" rather than to lost data.

Objects are frozen `msgspec.Struct`s rather than frozen dataclasses: ingest builds several of them
for every transcript line of a history that easily holds half a million lines, and a Struct is
about eight times cheaper to construct (measured: 0.25 µs vs 2.1 µs for nine fields).
Timestamps are integer milliseconds since the Unix epoch (UTC) everywhere.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class SessionKind(StrEnum):
    """What a session is, parsed from OpenClaw's session-key grammar (format doc §3)."""

    MAIN = "main"
    DIRECT = "direct"
    GROUP = "group"
    CHANNEL = "channel"
    ROOM = "room"
    SUBAGENT = "subagent"
    CRON = "cron"
    CRON_RUN = "cron-run"
    HEARTBEAT = "heartbeat"
    HOOK = "hook"
    OPENAI_API = "openai-api"
    ACP = "acp"
    NODE = "node"
    OTHER = "other"


class Trigger(StrEnum):
    """Why the model was called: the dimension users ask about ("what do heartbeats cost me?")."""

    MAIN = "main"
    CHANNEL = "channel"
    HEARTBEAT = "heartbeat"
    CRON = "cron"
    SUBAGENT = "subagent"
    HOOK = "hook"
    API = "api"
    OTHER = "other"


KIND_TRIGGER: dict[SessionKind, Trigger] = {
    SessionKind.MAIN: Trigger.MAIN,
    SessionKind.DIRECT: Trigger.MAIN,
    SessionKind.GROUP: Trigger.CHANNEL,
    SessionKind.CHANNEL: Trigger.CHANNEL,
    SessionKind.ROOM: Trigger.CHANNEL,
    SessionKind.SUBAGENT: Trigger.SUBAGENT,
    SessionKind.CRON: Trigger.CRON,
    SessionKind.CRON_RUN: Trigger.CRON,
    SessionKind.HEARTBEAT: Trigger.HEARTBEAT,
    SessionKind.HOOK: Trigger.HOOK,
    SessionKind.OPENAI_API: Trigger.API,
    SessionKind.ACP: Trigger.OTHER,
    SessionKind.NODE: Trigger.OTHER,
    SessionKind.OTHER: Trigger.OTHER,
}


class SourceKind(StrEnum):
    """Where a piece of data came from."""

    JSONL = "jsonl"
    SQLITE = "sqlite"
    WEBHOOK = "webhook"
    HOOK_EVENT = "hook-event"
    OTLP = "otlp"
    GATEWAY = "gateway"
    DEMO = "demo"


class ToolStatus(StrEnum):
    """Outcome of a tool call. `PENDING` means no result was seen (yet)."""

    OK = "ok"
    ERROR = "error"
    PENDING = "pending"


class Severity(StrEnum):
    """How bad a recorded problem is. Nothing recorded at any severity is silently dropped data."""

    ERROR = "error"  # part of the input could not be used (invalid JSON, truncated line)
    WARNING = "warning"  # used, but something was wrong and was repaired or ignored (wrong type)
    INFO = "info"  # kept as is, but clawscope does not understand it (unknown entry type)


class ProblemCode(StrEnum):
    """Why a piece of input was flagged. Stable strings: they appear in `clawscope problems --json`."""

    INVALID_JSON = "invalid_json"
    INVALID_UTF8 = "invalid_utf8"
    NOT_AN_OBJECT = "not_an_object"
    TRUNCATED_LINE = "truncated_line"
    WRONG_TYPE = "wrong_type"
    ABSURD_NUMBER = "absurd_number"
    UNKNOWN_ENTRY_TYPE = "unknown_entry_type"
    MISSING_USAGE = "missing_usage"
    MISSING_FIELD = "missing_field"
    BAD_COMPRESSION = "bad_compression"
    UNREADABLE = "unreadable"
    BAD_REGISTRY = "bad_registry"


class Problem(msgspec.Struct, frozen=True):
    """A piece of input that was bad: where it was, why, and an excerpt so that nothing is lost."""

    source: str  # e.g. "jsonl", "sqlite", "sessions.json"
    path: str
    location: str  # "line 12", "byte 4096", "session <id> seq 17"
    code: ProblemCode
    reason: str
    severity: Severity = Severity.ERROR
    excerpt: str = ""


class SessionKey(msgspec.Struct, frozen=True):
    """A session key taken apart (format doc §3)."""

    raw: str
    agent_id: str | None
    kind: SessionKind
    channel: str | None = None
    account: str | None = None
    peer: str | None = None
    thread: str | None = None
    parent_key: str | None = None
    spawn_depth: int = 0
    job_id: str | None = None
    run_session_id: str | None = None

    @property
    def trigger(self) -> Trigger:
        return KIND_TRIGGER[self.kind]


class Agent(msgspec.Struct, frozen=True):
    """An OpenClaw agent (`agents/<agentId>/`) of one instance (a state dir or a remote host)."""

    agent_id: str
    instance: str
    state_dir: str | None = None


class SessionMeta(msgspec.Struct, frozen=True, kw_only=True):
    """What is known about one transcript session, from any source. `None` means "not known here".

    Several sources describe the same session (the transcript header, `sessions.json`, SQLite
    `session_windows`/`session_nodes`, the cron run log); the store merges them field by field.
    """

    session_id: str
    instance: str
    agent_id: str | None = None
    key: str | None = None
    kind: SessionKind | None = None  # from the session key: authoritative
    inferred_kind: SessionKind | None = None  # from the transcript's content, when no key is known
    trigger: Trigger | None = None
    channel: str | None = None
    chat_type: str | None = None
    parent_key: str | None = None
    spawn_depth: int | None = None
    label: str | None = None
    display_name: str | None = None
    status: str | None = None
    started_ms: int | None = None
    ended_ms: int | None = None
    updated_ms: int | None = None
    model_provider: str | None = None
    model: str | None = None
    cwd: str | None = None
    header_version: int | None = None
    elevated_level: str | None = None
    created_via: str | None = None
    subagent_role: str | None = None
    job_id: str | None = None
    source: SourceKind | None = None


class Usage(msgspec.Struct, frozen=True):
    """Tokens of one model call, as OpenClaw recorded them (`input` excludes cache reads)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    total: int = 0


class Cost(msgspec.Struct, frozen=True):
    """USD cost of one model call as OpenClaw reported it (`usage.cost`), by token class."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0
    total: float = 0.0


class Entry(msgspec.Struct, frozen=True):
    """One transcript entry (line / `transcript_events` row), kept whole, in order.

    `raw` holds the record's JSON bytes exactly as read (or redacted, in trace-only mode), so that
    entry types clawscope does not understand are preserved, not dropped.
    """

    session_id: str
    entry_id: str
    pos: int
    type: str
    role: str | None
    parent_id: str | None
    ts_ms: int | None
    raw: bytes
    turn_trigger: Trigger | None = None  # for messages: why their turn happened, when not the session's


class LlmCall(msgspec.Struct, frozen=True):
    """A real model call: an assistant message that is not a gateway-injected or mirrored copy."""

    session_id: str
    entry_id: str
    ts_ms: int | None
    started_ms: int | None
    provider: str | None
    model: str | None
    api: str | None
    stop_reason: str | None
    error_message: str | None
    usage: Usage | None
    cost: Cost | None
    response_id: str | None = None
    run_id: str | None = None
    turn_trigger: Trigger | None = None  # set when the turn's own trigger differs from the session's

    @property
    def is_error(self) -> bool:
        return self.stop_reason == "error"

    @property
    def latency_ms(self) -> int | None:
        if self.ts_ms is None or self.started_ms is None or self.ts_ms < self.started_ms:
            return None
        return self.ts_ms - self.started_ms


class ExecInfo(msgspec.Struct, frozen=True):
    """The risk-relevant arguments of an `exec` call (format doc §5)."""

    command: str | None = None
    elevated: bool | None = None
    host: str | None = None
    security: str | None = None
    ask: str | None = None


class ToolCall(msgspec.Struct, frozen=True):
    """A tool call the model issued (a `toolCall` content block), under its real tool name.

    Calls made through the Tool Search wrapper (`tool_call{id, args}`) count once, named after the
    inner tool; `wrapper` keeps the wrapper's name.
    """

    session_id: str
    call_id: str
    entry_id: str
    ts_ms: int | None
    name: str
    arguments: bytes | None  # JSON
    wrapper: str | None = None
    exec: ExecInfo | None = None


class ToolResult(msgspec.Struct, frozen=True):
    """What came back for a tool call: a `toolResult` message, or an `openclaw.nested-tool.v1` record.

    A result is an error when `isError` is true OR `details.status` says so: OpenClaw 2026.3.x writes
    failed reads with `isError:false` and `details.status:"error"`.
    """

    session_id: str
    call_id: str
    entry_id: str
    ts_ms: int | None
    tool_name: str | None
    status: ToolStatus
    is_error_flag: bool | None
    details_status: str | None
    exit_code: int | None
    duration_ms: int | None
    error_text: str | None
    output_bytes: int
    real_name: str | None = None  # the inner tool of a `tool_call` wrapper, when known
    nested: bool = False


class Compaction(msgspec.Struct, frozen=True):
    """A context compaction: the model was asked to summarise history (its cost is not recorded)."""

    session_id: str
    entry_id: str
    ts_ms: int | None
    tokens_before: int | None
    first_kept_entry_id: str | None
    from_hook: bool | None
    summary_chars: int


class Change(msgspec.Struct, frozen=True):
    """A model change, thinking-level change or model snapshot recorded in the transcript."""

    session_id: str
    entry_id: str
    ts_ms: int | None
    kind: str  # "model" | "thinking" | "snapshot"
    provider: str | None = None
    model: str | None = None
    api: str | None = None
    thinking_level: str | None = None


class CronJob(msgspec.Struct, frozen=True, kw_only=True):
    """A cron job definition (`cron/jobs.json`, or `cron_jobs` in `state/openclaw.sqlite`)."""

    job_id: str
    instance: str
    agent_id: str | None = None
    name: str | None = None
    enabled: bool | None = None
    schedule_kind: str | None = None
    schedule: str | None = None  # JSON of the schedule object
    session_target: str | None = None
    created_ms: int | None = None
    updated_ms: int | None = None
    last_status: str | None = None
    consecutive_errors: int | None = None


class CronRun(msgspec.Struct, frozen=True, kw_only=True):
    """One finished cron run (a line of `cron/runs/<jobId>.jsonl`; note its snake_case usage keys)."""

    job_id: str
    instance: str
    ts_ms: int
    status: str | None = None
    action: str | None = None
    summary: str | None = None
    error: str | None = None
    session_id: str | None = None
    session_key: str | None = None
    run_at_ms: int | None = None
    duration_ms: int | None = None
    model: str | None = None
    provider: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    delivered: bool | None = None
    delivery_status: str | None = None


class SubagentRun(msgspec.Struct, frozen=True, kw_only=True):
    """One sub-agent run (`subagents/runs.json`, or `subagent_runs` in `state/openclaw.sqlite`)."""

    run_id: str
    instance: str
    child_session_key: str | None = None
    requester_session_key: str | None = None
    controller_session_key: str | None = None
    task: str | None = None
    label: str | None = None
    model: str | None = None
    spawn_mode: str | None = None
    created_ms: int | None = None
    started_ms: int | None = None
    ended_ms: int | None = None
    outcome: str | None = None
    ended_reason: str | None = None


class TranscriptBatch(msgspec.Struct):
    """Everything decoded from a stretch of one session's transcript, ready to be stored together."""

    session_id: str
    entries: list[Entry] = msgspec.field(default_factory=list)
    llm_calls: list[LlmCall] = msgspec.field(default_factory=list)
    tool_calls: list[ToolCall] = msgspec.field(default_factory=list)
    tool_results: list[ToolResult] = msgspec.field(default_factory=list)
    compactions: list[Compaction] = msgspec.field(default_factory=list)
    changes: list[Change] = msgspec.field(default_factory=list)
    problems: list[Problem] = msgspec.field(default_factory=list)

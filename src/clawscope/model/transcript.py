"""What a transcript holds once decoded: entries kept whole, model calls, tool calls and their results,
compactions, model changes, and the problems found in bad input."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from clawscope.model.session import Trigger


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

"""What failure detectors read and what they produce: the contract between the store and `detect/`.

The store builds one `SessionView` per session from what ingest stored (sessions, raw entries, model
calls, tool calls joined to their results, compactions, sub-agent runs); detectors are pure functions
of it (no I/O, no wall clock) and return `Finding`s, which the store keeps. Living in `model/` lets both
the store (below `detect/`) and the detectors use these types without an upward import.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

FAMILIES: tuple[str, ...] = (
    "loop",
    "tool_abuse",
    "elevated_risk",
    "spawn_depth",
    "channel_mismatch",
    "sandbox_escape",
    "coordination_failure",
    "persona_drift",
    "hallucination",
    "context_overflow",
    "prompt_injection",
)


class FindingSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {FindingSeverity.INFO: 0, FindingSeverity.WARNING: 1, FindingSeverity.CRITICAL: 2}


class SessionInfo(msgspec.Struct, frozen=True):
    """A session's identity and place: who ran it, where it talks, who spawned it, what it may do."""

    session_id: str
    instance: str
    agent: str | None = None
    key: str | None = None  # lower-cased OpenClaw session key
    kind: str | None = None  # "direct" | "group" | "channel" | "cron" | "heartbeat" | "subagent" | …
    channel: str | None = None  # "telegram", "discord", "webchat", …
    chat_type: str | None = None  # "direct" | "group" | "channel" (from the key when not recorded)
    parent_session_id: str | None = None
    parent_key: str | None = None
    spawn_depth: int | None = None
    status: str | None = None  # session_nodes.status / runs outcome: "done", "failed", "timeout", …
    cwd: str | None = None  # the agent's workspace as the transcript header recorded it
    elevated_level: str | None = None
    model: str | None = None
    provider: str | None = None
    label: str | None = None
    started_ms: int | None = None
    last_ms: int | None = None
    context_window: int | None = None  # tokens, from the instance's config for the session's model
    result_text: str | None = None  # children only: the child's last assistant text (≤ 8 KiB)


class EntryView(msgspec.Struct, frozen=True):
    """One transcript entry in order. `text` joins its text blocks; `record` is the whole parsed record."""

    entry_id: str
    pos: int
    type: str  # "message", "compaction", "custom_message", …
    role: str | None  # "user", "assistant", "toolResult", …
    ts_ms: int | None
    text: str
    record: dict[str, Any]
    run_id: str | None = None


class ToolUse(msgspec.Struct, frozen=True):
    """A tool call joined to its result. `arguments` are the whole arguments from the raw entry."""

    call_id: str
    call_entry_id: str | None
    result_entry_id: str | None
    ts_ms: int | None
    name: str  # the real tool name (inside a Tool Search wrapper when there is one)
    arguments: dict[str, Any]
    status: str  # "ok" | "error" | "pending"
    exit_code: int | None = None
    error_text: str | None = None
    output_text: str = ""  # the result's text (bounded by the store)
    duration_ms: int | None = None
    exec_command: str | None = None
    exec_elevated: bool | None = None
    exec_host: str | None = None
    exec_security: str | None = None


class ModelCallView(msgspec.Struct, frozen=True):
    """A real model call with the sizes context detectors need (prompt = input + cache read)."""

    entry_id: str
    ts_ms: int | None
    provider: str | None
    model: str | None
    stop_reason: str | None
    error_message: str | None
    input_tokens: int
    cache_read: int
    cache_write: int
    output_tokens: int

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cache_read + self.cache_write


class CompactionView(msgspec.Struct, frozen=True):
    entry_id: str
    ts_ms: int | None
    tokens_before: int | None


class PolicyLayer(msgspec.Struct, frozen=True):
    """One layer of an agent's configured tool policy (openclaw.json). A tool passes the layer when no
    `deny` pattern matches it and, if `allow` is not None, an `allow` pattern does. Patterns are tool
    names, `*` globs or `group:<name>` shorthands, as OpenClaw takes them (case-insensitive).
    `applies` says to which sessions: "all", "sandboxed" (sandbox tool gate) or "subagent"."""

    source: str  # where it was configured, e.g. "tools.deny", "agents.entries.ops.tools"
    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    applies: str = "all"


class ToolPolicy(msgspec.Struct, frozen=True):
    """The tools an agent's configuration lets it call: its profile (`tools.profile`, overridden by the
    agent's own), then the allow/deny layers in OpenClaw's filtering order; `exec_security` is
    `tools.exec.security` (`deny` forbids exec); `sandbox_mode` the agent's sandbox mode. Empty when the
    config sets no policy (every tool allowed)."""

    profile: str | None = None
    also_allow: tuple[str, ...] = ()
    layers: tuple[PolicyLayer, ...] = ()
    exec_security: str | None = None
    sandbox_mode: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.profile not in (None, "full") or self.layers or self.exec_security == "deny")


class SessionView(msgspec.Struct, frozen=True):
    """Everything one session's detectors may read.

    `children` are the sessions it spawned (their info only; their own views are detected on their own),
    `ancestors` its spawn chain from the parent up. `known_session_keys` holds every session key of the
    same instance (for "message to a session that does not exist"). `workspace_files` maps a workspace
    Markdown file's name (IDENTITY.md, SOUL.md, AGENTS.md, …) to its text, when the state dir has them.
    `context_windows` maps "provider/model" and bare model ids to their context window in tokens, as
    the instance's `openclaw.json` configures them (`session.context_window` is the session model's).
    `tool_policy` is the agent's configured tool policy (`sources.agent_config.tool_policy`).
    """

    session: SessionInfo
    entries: tuple[EntryView, ...] = ()
    tools: tuple[ToolUse, ...] = ()
    model_calls: tuple[ModelCallView, ...] = ()
    compactions: tuple[CompactionView, ...] = ()
    children: tuple[SessionInfo, ...] = ()
    ancestors: tuple[SessionInfo, ...] = ()
    known_session_keys: frozenset[str] = frozenset()
    workspace_files: dict[str, str] = msgspec.field(default_factory=dict)
    context_windows: dict[str, int] = msgspec.field(default_factory=dict)  # "provider/model" and model id
    tool_policy: ToolPolicy = msgspec.field(default_factory=ToolPolicy)


class Finding(msgspec.Struct, frozen=True):
    """One failure found in one session. Its identity is detector + session + anchor entry."""

    detector: str  # e.g. "loop.identical-calls"
    detector_version: int
    family: str  # one of FAMILIES
    severity: FindingSeverity
    confidence: float  # 0..1
    session_id: str
    anchor_entry_id: str  # the entry that identifies it across recomputations
    entry_ids: tuple[str, ...]  # every entry that shows it (the anchor included)
    message: str  # one line
    evidence: dict[str, Any]
    first_ms: int | None = None
    last_ms: int | None = None

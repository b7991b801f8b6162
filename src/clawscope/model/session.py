"""Sessions and what OpenClaw keeps about them: kinds and triggers (from the session-key grammar), keys,
per-session metadata, agents, and the cron and sub-agent registries."""

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

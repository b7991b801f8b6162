"""The interface between the demo's story and its storage: one `Sink` per era.

The generator tells a sink what happened (a transcript record, a finished session window, a session
store entry, a cron run, a sub-agent run) in the order it happens; the sink decides how OpenClaw of
that era would have stored it (JSONL files and `sessions.json`, or the per-agent SQLite database).
Sinks stream: nothing of a transcript is kept after it was written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Window:
    """A finished transcript: the `session_windows` row of the SQLite era, the file of the JSONL era."""

    session_id: str
    agent_id: str
    key: str  # the session key it belonged to
    created_ms: int
    started_ms: int
    ended_ms: int
    status: str
    model_provider: str
    model: str
    file_name: str  # JSONL era: `<id>.jsonl` or `<id>-topic-<n>.jsonl`
    archived_ms: int | None = None  # rolled over by a reset: JSONL renames it `.reset.<ts>`
    previous_session_id: str | None = None
    reason: str | None = None
    scope: str = "conversation"
    chat_type: str | None = None
    channel: str | None = None
    parent_key: str | None = None
    display_name: str | None = None


@dataclass(slots=True)
class Node:
    """A session store entry: a `sessions.json` member, or a `session_nodes` row."""

    agent_id: str
    key: str
    session_id: str
    entry: dict[str, Any]
    updated_ms: int
    status: str | None = "done"
    created_ms: int | None = None
    created_via: str | None = None
    parent_key: str | None = None
    label: str | None = None
    display_name: str | None = None
    last_interaction_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Sink(Protocol):
    """Where one era's state dir is written."""

    version: int  # transcript header version of the era

    def begin_agent(self, agent_id: str, created_ms: int) -> None: ...

    def begin(self, session_id: str, agent_id: str, file_name: str) -> None: ...

    def event(self, session_id: str, record: dict[str, Any], ts_ms: int) -> None: ...

    def end(self, window: Window) -> None: ...

    def node(self, node: Node) -> None: ...

    def end_agent(self, agent_id: str) -> None: ...

    def cron_run(self, job_id: str, line: dict[str, Any]) -> None: ...

    def cron_jobs(self, jobs: list[dict[str, Any]]) -> None:
        """Add one agent's cron job definitions (the JSONL era keeps one store for all agents)."""

    def subagent_run(self, run: dict[str, Any]) -> None: ...

    def finish(self) -> None: ...

"""What every part of one agent's story shares: the sink, the totals, the plan, and session plumbing.

`AgentContext.open_session` / `close_session` are the one place a transcript starts and ends: they
create the `SessionWriter`, and at the end hand the sink the finished window and (for a current
session) its store entry, so every session kind is recorded the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from clawscope.demo.catalog import Model
from clawscope.demo.entries import Summary, store_entry
from clawscope.demo.ids import Rng
from clawscope.demo.scenario import AgentPlan
from clawscope.demo.session import SessionWriter
from clawscope.demo.sink import Node, Sink, Window
from clawscope.demo.totals import DemoTotals, session_label
from clawscope.sources.session_keys import parse_session_key

_CREATED_VIA = {"subagent": "spawn", "cron": "cron", "channel": "channel"}


@dataclass(slots=True)
class Opened:
    """A session being written, with what its store entry and window will need."""

    writer: SessionWriter
    kind: str  # main | channel | subagent | cron | openai
    key: str
    file_name: str
    label: str | None = None
    display_name: str | None = None
    parent_key: str | None = None
    channel: str | None = None
    peer: str | None = None
    chat_type: str | None = None
    scope: str = "conversation"
    elevated: bool = False
    previous_session_id: str | None = None
    run_started_ms: int = 0
    last_run_id: str | None = None
    spawn_depth: int = 1


class AgentContext:
    """One agent's share of the generation."""

    def __init__(self, *, sink: Sink, totals: DemoTotals, plan: AgentPlan, seed: int) -> None:
        self.sink = sink
        self.totals = totals
        self.plan = plan
        self.profile = plan.profile
        self.agent_id = plan.profile.agent_id
        self.seed = seed
        self.version = sink.version

    def rng(self, *parts: object) -> random.Random:
        """An independent generator per session: one session's length never shifts another's content."""
        return Rng(":".join(["clawscope-demo", str(self.seed), self.agent_id, *map(str, parts)]))

    def open_session(
        self,
        rng: random.Random,
        session_id: str,
        kind: str,
        key: str,
        model: Model,
        *,
        file_name: str | None = None,
        system_scale: float = 1.0,
        key_kept: bool = True,
    ) -> Opened:
        """Start a transcript. `key_kept=False`: no store keeps its key (a JSONL-era reset archive), so
        readers cannot know its kind; the totals count it as `unknown`, as they would have to."""
        key_kind = parse_session_key(key).kind.value if key_kept else "unknown"
        thinking = "low" if model.reasoning and kind in ("main", "channel") else "off"
        writer = SessionWriter(
            sink=self.sink,
            totals=self.totals,
            rng=rng,
            session_id=session_id,
            agent_id=self.agent_id,
            key=key,
            kind=key_kind,
            model=model,
            thinking=thinking,
            system_tokens=int(self.profile.system_tokens * system_scale) + rng.randint(-300, 300),
        )
        name = file_name or f"{session_id}.jsonl"
        self.sink.begin(session_id, self.agent_id, name)
        return Opened(writer, kind, key, name)

    def close_session(
        self,
        o: Opened,
        *,
        archived_ms: int | None = None,
        status: str = "done",
        reason: str | None = None,
        write_node: bool = True,
    ) -> Summary:
        """Finish a transcript: the sink gets its window and, unless it was rolled over, its store entry."""
        o.writer.tally.close()
        if o.writer.labels:
            self.totals.labels[o.writer.session_id] = session_label(o.key, o.writer.labels)
        summary = self._summary(o)
        self.sink.end(self._window(o, status=status, archived_ms=archived_ms, reason=reason))
        if write_node:
            self.node(summary, status)
        return summary

    def _summary(self, o: Opened) -> Summary:
        w = o.writer
        return Summary(
            kind=o.kind,
            agent_id=self.agent_id,
            key=o.key,
            session_id=w.session_id,
            file_name=o.file_name,
            model=w.model,
            started_ms=w.first_ms,
            ended_ms=w.last_ms,
            run_started_ms=o.run_started_ms or w.first_ms,
            run=w.run,
            cost_total=w.cost_total,
            compactions=w.compactions,
            last_run_id=o.last_run_id,
            label=o.label,
            display_name=o.display_name,
            parent_key=o.parent_key,
            channel=o.channel,
            peer=o.peer,
            chat_type=o.chat_type,
            elevated=o.elevated,
            spawn_depth=o.spawn_depth,
        )

    def _window(self, o: Opened, *, status: str, archived_ms: int | None, reason: str | None) -> Window:
        w = o.writer
        return Window(
            session_id=w.session_id,
            agent_id=self.agent_id,
            key=o.key,
            created_ms=w.first_ms,
            started_ms=o.run_started_ms or w.first_ms,
            ended_ms=w.last_ms,
            status=status,
            model_provider=w.model.provider,
            model=w.model.id,
            file_name=o.file_name,
            archived_ms=archived_ms,
            previous_session_id=o.previous_session_id,
            reason=reason,
            scope=o.scope,
            chat_type=o.chat_type,
            channel=o.channel,
            parent_key=o.parent_key,
            display_name=o.display_name or o.label,
        )

    def node(self, s: Summary, status: str = "done", key: str | None = None) -> None:
        """The session store entry of `s`, under its own key or another key naming the same session."""
        self.sink.node(
            Node(
                agent_id=self.agent_id,
                key=key or s.key,
                session_id=s.session_id,
                entry=store_entry(self.version, s),
                updated_ms=s.ended_ms + 30,
                status=status,
                created_ms=s.started_ms if s.kind == "subagent" else None,
                created_via=_CREATED_VIA.get(s.kind),
                parent_key=s.parent_key,
                label=s.label,
                display_name=s.display_name,
                last_interaction_ms=s.ended_ms,
            )
        )

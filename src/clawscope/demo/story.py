"""One agent's 45 days: its main session with heartbeats, its group chats, cron jobs and API calls.

Turn times follow the owner's daily rhythm; heartbeats come at a steady cadence into the main
session. The first agent's first main window is the showcase: whatever the seed, it holds one of
every interesting thing (an elevated exec, each tool-failure style, provider retries, a turn that
fails outright with a gateway notice, a `/model` switch, a compaction, a delivery mirror, a large
compressible result, output with `\\u` escapes), so even a tiny demo exercises every code path.
"""

from __future__ import annotations

import random
from typing import Any

from clawscope.demo import failures, phrases
from clawscope.demo.background import SubagentSpawner, run_cron_job
from clawscope.demo.clock import envelope
from clawscope.demo.context import AgentContext, Opened
from clawscope.demo.conversation import Turn, announce_turn, pick_steps, run_turn
from clawscope.demo.entries import WORKSPACE
from clawscope.demo.ids import uuid4
from clawscope.demo.scenario import Group, Period

_SHOWCASE: dict[int, dict[str, Any]] = {
    0: {"forced": [("exec", {"risky": True})]},
    1: {"forced": [("read", {"fail": True})], "steps": 1},
    2: {"retries": 2},
    3: {"fail_all": True},
    4: {"slash": True},
    5: {"forced": [("web_fetch", {"big": True}), ("exec", {"fail": True})], "steps": 2},
    6: {"forced": [("web_fetch", {"fail": True, "bare": True}), ("exec", {"ansi": True})], "steps": 2},
    7: {"forced": [("read", {"big": True}), ("memory_search", {})], "steps": 2},
}
_SHOWCASE_COMPACT_AT = 8
_SHOWCASE_MIRROR_AT = 9


def run_agent(ctx: AgentContext) -> None:
    """Write every session of one agent, in a fixed order."""
    plan = ctx.plan
    ctx.sink.begin_agent(ctx.agent_id, plan.rhythm.start_ms - 3 * 86_400_000)
    spawner = SubagentSpawner(ctx)
    previous: str | None = None
    for i, w in enumerate(plan.main):
        nxt = plan.main[i + 1].start_ms if i + 1 < len(plan.main) else None
        key = f"agent:{ctx.agent_id}:main"
        previous = _conversation(ctx, spawner, w, key=key, tag=("main", i), previous=previous, next_start=nxt)
    for gi, g in enumerate(plan.groups):
        previous = None
        for wi, w in enumerate(g.windows):
            nxt = g.windows[wi + 1].start_ms if wi + 1 < len(g.windows) else None
            previous = _conversation(
                ctx,
                spawner,
                w,
                key=_group_key(ctx, g),
                tag=("group", gi, wi),
                previous=previous,
                next_start=nxt,
                group=g,
            )
    jobs = [run_cron_job(ctx, job) for job in plan.jobs]
    if jobs:
        ctx.sink.cron_jobs(jobs)
    api_starts, failure_sets = failures.carve(ctx.rng("failure-plan"), plan.openai)
    for i, t in api_starts:
        _api_session(ctx, i, t)
    writer = failures.FailureWriter(ctx)
    for starts in failure_sets:
        writer.write_set(starts)
    ctx.sink.end_agent(ctx.agent_id)


def _group_key(ctx: AgentContext, g: Group) -> str:
    key = f"agent:{ctx.agent_id}:{g.channel}:{g.peer_kind}:{g.peer_id}"
    return key + f":topic:{g.topic}" if g.topic else key


def _conversation(
    ctx: AgentContext,
    spawner: SubagentSpawner,
    w: Period,
    *,
    key: str,
    tag: tuple[Any, ...],
    previous: str | None,
    next_start: int | None,
    group: Group | None = None,
) -> str:
    """One window of a long-lived conversation; returns its session id."""
    rng = ctx.rng(*tag)
    o = _open_window(ctx, rng, key, group, key_kept=next_start is None or ctx.version >= 4)
    o.previous_session_id = previous
    _play(ctx, spawner, o, rng, w, group=group)
    reason = "reset" if previous else None
    ctx.close_session(o, archived_ms=next_start, reason=reason, write_node=next_start is None)
    return o.writer.session_id


def _open_window(
    ctx: AgentContext, rng: random.Random, key: str, group: Group | None, *, key_kept: bool
) -> Opened:
    sid = uuid4(rng)
    if group is None:
        return ctx.open_session(rng, sid, "main", key, ctx.profile.primary, key_kept=key_kept)
    topic = f"{sid}-topic-{group.topic}.jsonl" if group.topic else None
    o = ctx.open_session(rng, sid, "channel", key, ctx.profile.primary, file_name=topic, key_kept=key_kept)
    o.channel, o.peer, o.display_name = group.channel, group.peer_id, group.subject
    o.chat_type, o.scope = group.peer_kind, group.peer_kind
    return o


def _play(
    ctx: AgentContext,
    spawner: SubagentSpawner,
    o: Opened,
    rng: random.Random,
    w: Period,
    *,
    group: Group | None,
) -> None:
    """The window's turns in time order: chat turns, heartbeats, and the announces of spawned sub-agents."""
    schedule = _schedule(ctx, rng, w)
    ts = o.writer.start(schedule[0][0] - rng.randint(500, 5000), WORKSPACE)
    spawn_at = _spawn_turns(rng, w)
    user_turn = beat = 0
    for t, is_heartbeat in schedule:
        ts = max(t, ts + rng.randint(2_000, 30_000))
        ts = _maybe_compact(o, ts, w.showcase and user_turn == _SHOWCASE_COMPACT_AT and not is_heartbeat)
        if is_heartbeat:
            turn = _heartbeat(ctx, rng, w.showcase and beat == 0)
            beat += 1
        else:
            if (group is not None and user_turn > 0 and rng.random() < 0.05) or (
                w.showcase and user_turn == _SHOWCASE_MIRROR_AT
            ):
                ts = o.writer.not_a_call(ts, rng.choice(phrases.CRON_JOBS)[2], "delivery-mirror")
            turn = _user_turn(
                ctx,
                rng,
                o,
                ts,
                index=user_turn,
                showcase=w.showcase,
                spawns=spawn_at.get(user_turn, 0),
                group=group,
            )
            if ctx.version >= 4 and o.display_name is None and turn.slash_model is None:
                o.display_name = turn.text[:80]  # 2026.9.x names a session after its first message
            user_turn += 1
        ts = _run(ctx, o, ts, turn, spawner)


def _run(ctx: AgentContext, o: Opened, ts: int, turn: Turn, spawner: SubagentSpawner) -> int:
    """One turn, then the completion announce of each sub-agent it spawned."""
    o.last_run_id, o.run_started_ms = turn.run_id, ts
    ts, children = run_turn(o.writer, ts, turn, spawner)
    for child in children:
        ts = max(ts, child.end_ms + o.writer.rng.randint(40, 400))
        ann = announce_turn(o.writer, child, envelope(ts, ctx.profile.tz_offset_h))
        ts, _ = run_turn(o.writer, ts, ann, None)
        o.last_run_id = ann.run_id or o.last_run_id
    return ts


def _schedule(ctx: AgentContext, rng: random.Random, w: Period) -> list[tuple[int, bool]]:
    """User turns by the owner's rhythm, heartbeats at a steady cadence, merged in time order."""
    times = [(t, False) for t in ctx.plan.rhythm.sample(rng, w.turns, w.start_ms, w.end_ms)]
    if w.heartbeats:
        every = (w.end_ms - w.start_ms) // w.heartbeats
        phase = w.start_ms + rng.randrange(every)
        times += [(phase + j * every + rng.randint(0, 60_000), True) for j in range(w.heartbeats)]
    times.sort()
    if w.showcase:  # the showcase turns come first, before any heartbeat
        users = [t for t in times if not t[1]]
        beats = [t for t in times if t[1]]
        head = users[: _SHOWCASE_MIRROR_AT + 1]
        times = head + sorted(
            users[len(head) :]
            + [b for b in beats if b[0] > head[-1][0]]
            + [(head[-1][0] + 600_000 * (k + 1), True) for k in range(2)]
        )
    return times


def _spawn_turns(rng: random.Random, w: Period) -> dict[int, int]:
    out: dict[int, int] = {}
    # Keep the showcase turns 1..9 free: each demonstrates one thing.
    candidates = [0, *range(_SHOWCASE_MIRROR_AT + 1, w.turns)] if w.showcase else range(w.turns)
    for _ in range(w.spawns):
        turn = 0 if w.showcase and not out else rng.choice(candidates)
        out[turn] = out.get(turn, 0) + 1
    return out


def _maybe_compact(o: Opened, ts: int, force: bool) -> int:
    w = o.writer
    limit = min(int(w.model.context_window * 0.75), 160_000)
    if force or w.system_tokens + w.context > limit:
        return w.compact(
            ts,
            "The user and the assistant worked on household admin, the garden bot and travel "
            "plans. Open items: confirm the train booking, replace the sensor battery.",
        )
    return ts


def _heartbeat(ctx: AgentContext, rng: random.Random, alert: bool) -> Turn:
    ctx.totals.heartbeatTurns += 1
    ok = not alert and rng.random() < 0.85
    if ok:
        return Turn(phrases.HEARTBEAT_PROMPT, "heartbeat", run_id=uuid4(rng), heartbeat_ok=True, steps=0)
    return Turn(
        phrases.HEARTBEAT_PROMPT,
        "heartbeat",
        run_id=uuid4(rng),
        steps=1,
        reply=rng.choice(phrases.HEARTBEAT_ALERTS),
        forced=[("read", {})],
    )


def _user_turn(
    ctx: AgentContext,
    rng: random.Random,
    o: Opened,
    ts: int,
    *,
    index: int,
    showcase: bool,
    spawns: int,
    group: Group | None,
) -> Turn:
    env = envelope(ts, ctx.profile.tz_offset_h)
    if group is not None:
        sender = rng.choice(phrases.CHANNEL_SENDERS)
        meta = f'{{\n  "label": "{sender}",\n  "id": "{rng.randint(10_000_000, 999_999_999)}"\n}}'
        ask, reply = rng.choice(phrases.CHANNEL_CHATS)
        text = f"Sender (untrusted metadata):\n```json\n{meta}\n```\n\n{env} {sender}: {ask}"
    else:
        ask, reply = rng.choice(phrases.CHATS)
        text = f"{env} {ask}" if ctx.version < 4 else ask
    trigger = ""  # the session's own: main, channel, or other for an archived window
    turn = Turn(
        text,
        trigger,
        run_id=uuid4(rng),
        steps=pick_steps(rng),
        spawns=spawns,
        reply=reply,
        retries=rng.randint(1, 3) if rng.random() < 0.04 else 0,
        fail_all=rng.random() < 0.006,
    )
    extra = _SHOWCASE.get(index, {}) if showcase else {}
    if spawns:  # a spawn needs a model that answers and calls tools
        turn.fail_all, turn.steps = False, max(turn.steps, 1)
        extra = {k: v for k, v in extra.items() if k not in ("slash", "fail_all")}
    elif extra.get("slash") or (not showcase and rng.random() < 0.01):
        prof = ctx.profile
        target = prof.switch_to if o.writer.model == prof.primary else prof.primary
        return Turn(f"/model {target.ref}", trigger, run_id=turn.run_id, slash_model=target)
    if extra:
        turn.forced = list(extra.get("forced", []))
        turn.steps = (
            max(extra.get("steps", 1), len(turn.forced)) if turn.forced else extra.get("steps", turn.steps)
        )
        turn.retries = extra.get("retries", 0)
        turn.fail_all = extra.get("fail_all", False)
        o.elevated = o.elevated or index == 0
    return turn


def _api_session(ctx: AgentContext, i: int, start: int) -> None:
    """A session created by `POST /v1/chat/completions` (key `agent:<id>:openai:<uuid>`)."""
    rng = ctx.rng("openai", i)
    sid = uuid4(rng)
    o = ctx.open_session(rng, sid, "openai", f"agent:{ctx.agent_id}:openai:{uuid4(rng)}", ctx.profile.primary)
    ts = o.writer.start(start, WORKSPACE)
    for _ in range(1 if rng.random() < 0.8 else 2):
        run_id = "chatcmpl_" + uuid4(rng)
        o.last_run_id, o.run_started_ms = run_id, ts
        ask, reply = rng.choice(phrases.API_CHATS)
        turn = Turn(
            ask,
            "",
            run_id=run_id,
            reply=reply,
            steps=0 if rng.random() < 0.85 else 1,
            retries=1 if rng.random() < 0.03 else 0,
        )
        ts, _ = run_turn(o.writer, ts, turn, None)
        ts += rng.randint(1_000, 20_000)
    ctx.close_session(o)

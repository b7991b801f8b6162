"""Deterministic plans: how many sessions of which kind each agent gets, when, and how busy they are.

The plan is small (a few numbers per session) and fixed before anything is written, so that exactly
`sessions` transcripts come out: each agent has its main session (rolled over into archived windows
when the demo is large), group chats (also rolled over), cron runs of a few jobs, sub-agents spawned
from main and group turns, and one-off OpenAI-API sessions. Session counts scale with `sessions`;
how busy each session is stays realistic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from clawscope.demo import phrases
from clawscope.demo.catalog import AgentProfile, Model, profile
from clawscope.demo.clock import DAY_MS, SPAN_DAYS, Rhythm, spike_days
from clawscope.demo.ids import uuid4

_SHARES = (("cron", 0.34), ("subagent", 0.26), ("channel", 0.22), ("openai", 0.18))
_MAX_MAIN_WINDOWS = 90


@dataclass(slots=True)
class Period:
    """A stretch of a long-lived conversation (the main session or a group chat) between resets."""

    start_ms: int
    end_ms: int
    turns: int
    heartbeats: int = 0
    spawns: int = 0
    showcase: bool = False


@dataclass(slots=True)
class Group:
    """A group chat the agent sits in, with its key parts and its windows."""

    channel: str
    peer_kind: str  # "group" | "channel"
    peer_id: str
    subject: str
    topic: str | None
    windows: list[Period] = field(default_factory=list)


@dataclass(slots=True)
class CronJob:
    job_id: str
    name: str
    message: str
    reply: str
    model: Model | None
    schedule: dict[str, object]
    runs: list[int]
    created_ms: int


@dataclass(slots=True)
class AgentPlan:
    index: int
    profile: AgentProfile
    rhythm: Rhythm
    main: list[Period]
    groups: list[Group]
    jobs: list[CronJob]
    openai: list[int]
    subagents: int


def split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` by `weights` (largest remainders), every part at least `minimum` when possible."""
    n = len(weights)
    base = [minimum] * n if total >= minimum * n else [0] * n
    rest = total - sum(base)
    scale = sum(weights) or 1.0
    raw = [rest * w / scale for w in weights]
    parts = [b + int(r) for b, r in zip(base, raw, strict=True)]
    order = sorted(range(n), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def kind_budget(n: int) -> dict[str, int]:
    """How an agent's `n` sessions divide into kinds; every kind appears once there is room."""
    main = max(1, min(_MAX_MAIN_WINDOWS, round(n * 0.03)))
    rest = n - main
    counts = dict.fromkeys((k for k, _ in _SHARES), 0)
    if rest < len(_SHARES):
        for kind, _ in _SHARES[:rest]:
            counts[kind] = 1
    else:
        for (kind, _), c in zip(_SHARES, split(rest, [w for _, w in _SHARES], 1), strict=True):
            counts[kind] = c
    return {"main": main, **counts}


def plan_agent(rng: random.Random, index: int, n: int, anchor: int, showcase: bool) -> AgentPlan:
    prof = profile(index)
    rhythm = Rhythm(anchor, prof.tz_offset_h, spike_days(rng))
    budget = kind_budget(n)
    start = anchor - SPAN_DAYS * DAY_MS
    main = _windows(rng, start, anchor, budget["main"], max(10, min(150, n * 6 // 5 // budget["main"])))
    hb_per_day = max(2, min(16, n // 15))
    for w in main:
        w.heartbeats = round((w.end_ms - w.start_ms) / DAY_MS * hb_per_day)
    if showcase:
        main[0].showcase = True
        main[0].turns = max(main[0].turns, 12)
        main[0].heartbeats = max(main[0].heartbeats, 3)
    groups = _groups(rng, prof, start, anchor, budget["channel"])
    parents = main + [w for g in groups for w in g.windows]
    for w, k in zip(parents, split(budget["subagent"], [float(w.turns) for w in parents]), strict=True):
        w.spawns = k
    if showcase and budget["subagent"] and main[0].spawns == 0:
        donor = next(w for w in parents if w.spawns)
        donor.spawns -= 1
        main[0].spawns += 1
    jobs = _jobs(rng, prof, anchor, budget["cron"])
    openai = rhythm.sample(rng, budget["openai"])
    return AgentPlan(index, prof, rhythm, main, groups, jobs, openai, budget["subagent"])


def _windows(rng: random.Random, start: int, end: int, k: int, turns: int) -> list[Period]:
    """k consecutive windows; resets happen at some moment of the day, not on the hour."""
    step = (end - start) // k
    cuts = [start] + [start + i * step + rng.randrange(step // 4 + 1) for i in range(1, k)] + [end]
    return [Period(cuts[i], cuts[i + 1], turns) for i in range(k)]


def _groups(rng: random.Random, prof: AgentProfile, start: int, end: int, count: int) -> list[Group]:
    n_groups = min(count, 2 + count // 3)
    groups = []
    for i, per_group in enumerate(split(count, [1.0 / (i + 1) for i in range(n_groups)], 1)):
        channel = prof.channel
        if channel == "telegram":
            peer_kind, peer_id = "group", f"-100{rng.randint(1_000_000_000, 9_999_999_999)}"
        elif channel == "whatsapp":
            peer_kind, peer_id = "group", f"1203630{rng.randint(10**10, 10**11 - 1)}@g.us"
        elif channel == "discord":
            peer_kind, peer_id = "channel", str(rng.randint(10**17, 10**18 - 1))
        else:
            peer_kind, peer_id = "channel", "c0" + uuid4(rng).replace("-", "")[:9]
        topic = str(rng.randint(2, 400)) if channel == "telegram" and i == 1 else None
        subject = ("Family", "Flatmates", "Climbing crew", "Ops", "Book club", "Garden project")[i % 6]
        first = start + rng.randint(0, 5) * DAY_MS
        g = Group(
            channel,
            peer_kind,
            peer_id,
            subject,
            topic,
            _windows(rng, first, end, per_group, 0) if per_group else [],
        )
        for w in g.windows:
            w.turns = rng.randint(3, 22)
        groups.append(g)
    return groups


def _jobs(rng: random.Random, prof: AgentProfile, anchor: int, runs: int) -> list[CronJob]:
    if runs == 0:
        return []
    n_jobs = min(3, 1 + runs // 15)
    jobs = []
    for i, k in enumerate(split(runs, [3.0, 2.0, 1.0][:n_jobs], 1)):
        name, message, reply = phrases.CRON_JOBS[(prof.tz_offset_h + i) % len(phrases.CRON_JOBS)]
        spacing = max(300_000, (SPAN_DAYS * DAY_MS // max(k, 1)) // 300_000 * 300_000)
        if spacing >= DAY_MS:
            spacing = DAY_MS
            hour = (7 - prof.tz_offset_h) % 24
            first = anchor - k * DAY_MS + hour * 3_600_000
            schedule: dict[str, object] = {"kind": "cron", "expr": "0 7 * * *", "tz": _tz(prof.tz_offset_h)}
        else:
            first = anchor - k * spacing
            schedule = {"kind": "every", "everyMs": spacing, "anchorMs": first}
        run_times = [first + j * spacing + rng.randint(0, 900) for j in range(k)]
        model = prof.cron_model if i == 0 and prof.cron_model != prof.primary else None
        jobs.append(
            CronJob(
                uuid4(rng),
                name,
                message,
                reply,
                model,
                schedule,
                run_times,
                first - rng.randint(1, 5) * 3_600_000,
            )
        )
    return jobs


def _tz(offset_h: int) -> str:
    return {0: "UTC", 1: "Europe/Berlin", 2: "Europe/Athens", -5: "America/New_York"}.get(offset_h, "UTC")

"""Alert test helpers: a settable clock, a JSONL state dir whose sessions are written at chosen times,
and the demo state with its known spike days."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clawscope.demo.clock import DAY_MS, anchor_ms
from clawscope.demo.generate import generate
from clawscope.demo.ids import Rng
from clawscope.demo.scenario import plan_agent
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.timeutil import iso_ms, parse_iso_ms
from tests.support import builders as b

T0 = parse_iso_ms("2026-11-02T10:00:00Z")
MIN_MS = 60_000
HOUR_MS = 3_600_000


@dataclass
class Clock:
    now: int = T0

    def __call__(self) -> int:
        return self.now


@dataclass
class Transcripts:
    """A JSONL state dir: `call(session, at_ms, cost)` appends a priced model call to a session."""

    root: Path
    sessions: Path = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = b.state_dir(self.root)

    def call(self, session_id: str, at_ms: int, cost: float, tokens: int = 1000) -> None:
        path = self.sessions / f"{session_id}.jsonl"
        lines: list[dict[str, Any]] = []
        if not path.exists():
            head = b.header(session_id)
            head["timestamp"] = iso_ms(at_ms - 2000)
            lines.append(head)
        lines.append(b.user("go", ts=str(iso_ms(at_ms - 1000))))
        lines.append(b.assistant(input=tokens, cost=cost, ts=str(iso_ms(at_ms))))
        with path.open("a") as f:
            f.write("".join(json.dumps(r) + "\n" for r in lines))

    def ingest(self, store: Store) -> None:
        ingest(store, [self.root], instance="test-host")


@dataclass(frozen=True)
class Demo:
    url: str
    start_ms: int
    end_ms: int
    spike_days: frozenset[int]  # day indexes from start_ms


def demo_store(root: Path, seed: int = 7, sessions: int = 400) -> Demo:
    """One agent's generated demo history in a SQLite file, and the days the generator made busy."""
    state = root / "state"
    generate(state, sessions=sessions, agents=1, era="jsonl", seed=seed)
    url = f"sqlite:///{root / 'demo.db'}"
    with Store(url) as store:
        ingest(store, [state], instance="demo")
    anchor = anchor_ms(seed)
    plan = plan_agent(Rng(f"clawscope-demo:{seed}:plan"), 0, sessions, anchor, showcase=True)
    return Demo(url, plan.rhythm.start_ms, anchor, plan.rhythm.spike_days)


__all__ = ["DAY_MS", "HOUR_MS", "MIN_MS", "T0", "Clock", "Demo", "Transcripts", "demo_store"]

"""A big store filled directly (no transcripts to parse): N model calls in sessions of 10 calls and 4
tool calls each, spread over 4 agents, 6 triggers, 3 channels, 8 models and 40 tools across 90 days,
written through the store's own bulk writer (so every roll-up is what ingest would leave).

    from bigstore import filled
    url = filled(calls=1_000_000)   # cached under bench/out/, reused while the schema head is the same

Used by bench/metrics.py and bench/exports.py until the performance issue's corpus builder exists.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.model import (  # noqa: E402
    Cost,
    Entry,
    LlmCall,
    SessionMeta,
    ToolCall,
    ToolResult,
    ToolStatus,
    TranscriptBatch,
    Usage,
)
from clawscope.store import Store  # noqa: E402
from clawscope.store.migrate import HEAD  # noqa: E402

OUT = HERE / "out"
CALLS_PER_SESSION = 10
TOOLS_PER_SESSION = 4
START_MS = 1_788_000_000_000
DAYS = 90
AGENTS = ("main", "ops", "research", "home")
KINDS = (
    ("main", "main"),
    ("direct", "main"),
    ("group", "channel"),
    ("cron-run", "cron"),
    ("subagent", "subagent"),
    ("heartbeat", "heartbeat"),
)
CHANNELS = ("telegram", "discord", "whatsapp")
MODELS = tuple(("anthropic" if i % 2 else "openai", f"model-{i}") for i in range(8))
TOOLS = tuple(f"tool_{i}" for i in range(40))


def _session(rng: random.Random, n: int) -> tuple[SessionMeta, TranscriptBatch]:
    sid = f"bench-{n:07d}"
    agent = AGENTS[n % len(AGENTS)]
    kind, _trigger = KINDS[n % len(KINDS)]
    start = START_MS + rng.randrange(DAYS * 86_400_000)
    meta = SessionMeta(
        session_id=sid, instance="bench-host", agent_id=agent, key=f"agent:{agent}:{kind}:{n}", kind=kind,  # type: ignore[arg-type]
        channel=CHANNELS[n % len(CHANNELS)], started_ms=start, source="jsonl",  # type: ignore[arg-type]
    )  # fmt: skip
    batch = TranscriptBatch(sid)
    t = start
    pos = 0
    for i in range(CALLS_PER_SESSION):
        provider, model = MODELS[rng.randrange(len(MODELS))]
        eid = f"a{i}"
        started = t
        t += rng.randrange(300, 20_000)
        inp, out = rng.randrange(500, 20_000), rng.randrange(10, 2_000)
        batch.entries.append(Entry(sid, eid, pos, "message", "assistant", None, t, b'{"type":"message"}'))
        pos += 1
        batch.llm_calls.append(
            LlmCall(
                sid, eid, t, started, provider, model, "messages", "stop" if i % 25 else "error", None,
                Usage(inp, out, 100, 0, inp + out + 100), Cost(total=(inp * 3 + out * 15) / 1e6),
            )
        )  # fmt: skip
        if i < TOOLS_PER_SESSION:
            call = f"call-{i}"
            name = TOOLS[rng.randrange(len(TOOLS))]
            batch.tool_calls.append(ToolCall(sid, call, eid, t, name, b"{}"))
            t += rng.randrange(5, 5_000)
            rid = f"r{i}"
            batch.entries.append(
                Entry(sid, rid, pos, "message", "toolResult", None, t, b'{"type":"message"}')
            )
            pos += 1
            status = ToolStatus.ERROR if rng.random() < 0.05 else ToolStatus.OK
            batch.tool_results.append(
                ToolResult(sid, call, rid, t, name, status, None, None, None, None, None, 10)
            )
    return meta, batch


def filled(calls: int, seed: int = 1) -> str:
    """The URL of a SQLite store holding `calls` model calls (built once, then reused)."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"corpus-{calls}-{seed}-{HEAD}.db"
    if path.exists():
        return sqlite_url(path)
    tmp = path.with_suffix(".partial")
    for p in tmp.parent.glob(tmp.name + "*"):
        p.unlink()
    rng = random.Random(seed)
    with Store(sqlite_url(tmp)) as store:
        writer = store.writer(flush_entries=20_000)
        writer.emit_events = False
        for n in range(calls // CALLS_PER_SESSION):
            meta, batch = _session(rng, n)
            writer.add_meta([meta])
            writer.add_batch(batch)
            if writer.should_flush():
                writer.flush()
            if n % 10_000 == 0:
                print(f"  corpus: {n * CALLS_PER_SESSION:,} of {calls:,} calls", flush=True)
        writer.flush()
    tmp.rename(path)
    return sqlite_url(path)

"""The corpus builder: a big, realistic store filled directly (no transcripts to parse), on SQLite or
PostgreSQL, cached by a content key so that reruns are instant.

N model calls in sessions of 10 calls and 4 tool calls each, spread over 4 agents, 6 kinds, 3 channels,
8 models and 40 tools across 90 days, sessions arriving in time order (as a real history grows), one
session in 50 with a finding; written through the store's own bulk writer (`Store.writer`), so every
roll-up is what ingest would leave. 1,000,000 model calls build in a few minutes on either backend
(see bench/RESULTS.md, `bench/api.py`).

    from bigstore import filled
    url = filled(calls=1_000_000)                 # SQLite file under bench/out/
    url = filled(calls=1_000_000, pg=PG_URL)      # a schema of that PostgreSQL database

The cache key hashes this file's code (not this docstring), `calls` and `seed`: a change to any of
them builds a new store (a SQLite file `corpus-<key>.db`, a PostgreSQL schema `corpus_<key>`); an
interrupted build is never reused (SQLite: built under another name, then renamed; PostgreSQL: a
`corpus_done` table is created last).
"""

from __future__ import annotations

import hashlib
import random
import sys
import time
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
from clawscope.model.detection import Finding, FindingSeverity  # noqa: E402
from clawscope.store import Store, WriterThread  # noqa: E402

OUT = HERE / "out"
CALLS_PER_SESSION = 10
TOOLS_PER_SESSION = 4
FINDING_EVERY = 50  # one session in 50 has a finding
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
# tool durations: most tools are quick, a few are slow (a long tail, as real exec/browser calls have)
SLOW_TOOLS = frozenset(TOOLS[::7])


def _session(rng: random.Random, n: int, sessions: int) -> tuple[SessionMeta, TranscriptBatch]:
    sid = f"bench-{n:07d}"
    agent = AGENTS[n % len(AGENTS)]
    kind, _trigger = KINDS[n % len(KINDS)]
    span = DAYS * 86_400_000
    start = START_MS + n * span // sessions + rng.randrange(600_000)  # time order, a little jitter
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
            slow = name in SLOW_TOOLS
            t += int(rng.lognormvariate(8.5 if slow else 5.5, 1.0)) + 1
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


def _finding(n: int, meta: SessionMeta, batch: TranscriptBatch) -> Finding:
    last = batch.entries[-1].ts_ms
    return Finding(
        "loop.identical-calls", 1, "loop", FindingSeverity.WARNING, 0.9, meta.session_id, "a0",
        ("a0", "a1"), f"bench finding {n}", {"n": n}, meta.started_ms, last,
    )  # fmt: skip


def cache_key(calls: int, seed: int) -> str:
    """What the built store depends on: this generator's source, the size and the seed. Not the schema
    head: `Store()` migrates a cached store forward when it opens it, as it would a user's."""
    code = Path(__file__).read_text().split('"""', 2)[2]  # all but the module docstring
    h = hashlib.sha256(code.encode())
    h.update(f"{calls}:{seed}".encode())
    return h.hexdigest()[:12]


def build(store: Store, calls: int, seed: int) -> None:
    """Write `calls` model calls (and their sessions, tool calls and findings) into `store`. A writer
    thread commits each unit while the next is generated (the database releases the GIL)."""
    rng = random.Random(seed)
    sessions = calls // CALLS_PER_SESSION
    writer = store.writer(flush_entries=20_000)
    writer.emit_events = False
    thread = WriterThread(writer, lambda _unit: None)
    found: list[tuple[str, list[Finding]]] = []
    t0 = time.perf_counter()
    try:
        for n in range(sessions):
            meta, batch = _session(rng, n, sessions)
            writer.add_meta([meta])
            writer.add_batch(batch)
            if n % FINDING_EVERY == 0:
                found.append((meta.session_id, [_finding(n, meta, batch)]))
            if writer.should_flush():
                thread.submit(writer.take())
            if n % 20_000 == 0 and n:
                rate = n * CALLS_PER_SESSION / (time.perf_counter() - t0)
                print(f"  corpus: {n * CALLS_PER_SESSION:,} of {calls:,} calls ({rate:,.0f}/s)", flush=True)
        thread.submit(writer.take())
    finally:
        thread.close()
    for i in range(0, len(found), 2_000):
        store.findings.sync(found[i : i + 2_000], ["loop.identical-calls"])


def filled(calls: int, seed: int = 1, pg: str | None = None) -> str:
    """The URL of a store holding `calls` model calls: a SQLite file, or with `pg` (a PostgreSQL URL
    without query string) a schema of that database. Built once per cache key, then reused."""
    key = cache_key(calls, seed)
    if pg is not None:
        return _filled_pg(calls, seed, pg, f"corpus_{key}")
    OUT.mkdir(exist_ok=True)
    path = OUT / f"corpus-{key}.db"
    if path.exists():
        return sqlite_url(path)
    tmp = path.with_suffix(".partial")
    for p in tmp.parent.glob(tmp.name + "*"):
        p.unlink()
    with Store(sqlite_url(tmp)) as store:
        build(store, calls, seed)
    tmp.rename(path)
    return sqlite_url(path)


def _filled_pg(calls: int, seed: int, pg: str, schema: str) -> str:
    import psycopg

    raw = pg.replace("postgresql+psycopg", "postgresql")
    url = f"{pg}?options=-csearch_path%3D{schema}"
    with psycopg.connect(raw, autocommit=True) as conn:
        done = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = 'corpus_done'",
            (schema,),
        ).fetchone()
        if done:
            return url
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    with Store(url) as store:
        build(store, calls, seed)
    with psycopg.connect(raw, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
        for (table,) in tables:  # fresh planner statistics and visibility maps (index-only scans), as
            conn.execute(f"VACUUM (ANALYZE) {schema}.{table}")  # autovacuum leaves a store after inserts
        conn.execute(f"CREATE TABLE {schema}.corpus_done (built_ms bigint)")
    return url


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="build (or find) the cached bench store")
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg", default=None, help="a PostgreSQL URL: build there instead of SQLite")
    args = ap.parse_args()
    t = time.perf_counter()
    print(filled(args.calls, args.seed, args.pg), f"{time.perf_counter() - t:.1f} s")

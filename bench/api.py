"""API benchmark: p50/p95 latency of every stats endpoint and of opening a large session, over a big
`clawscope demo` store, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--calls 1000000] [--seed 11] [--repeat 20] [--pg URL]

Builds (and caches under bench/out/) a demo corpus with at least --calls model calls, ingests it
into a SQLite file and a PostgreSQL schema, then times each endpoint in-process through the ASGI app
(real auth, real database; no network). "Opening a session" is `GET /sessions/{id}` plus
`GET /sessions/{id}/history?limit=5000` on the session with the most entries (its size is printed:
the demo's sessions are small, so it may be below 5,000). Targets: stats p95 < 100 ms, session
open p95 < 100 ms. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clawscope.config import Settings  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.demo import generate  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.web import create_app  # noqa: E402
from results import write_section  # noqa: E402

PG = os.environ.get("CLAWSCOPE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CALLS_PER_SESSION = 9.0  # a first guess; the corpus is regenerated larger if it falls short
ENDPOINTS = [
    "/api/v1/stats",
    "/api/v1/stats?from={month}&to={next_month}",
    "/api/v1/stats/models",
    "/api/v1/stats/agents",
    "/api/v1/stats/kinds",
    "/api/v1/stats/channels",
    "/api/v1/stats/tools",
    "/api/v1/stats/forecast?at={mid}",
    "/api/v1/stats/compare?from={month}&to={next_month}",
]


def count_calls(state: Path) -> int:
    n = 0
    for path in state.glob("agents/*/sessions/*.jsonl"):
        with path.open("rb") as fh:
            n += sum(1 for line in fh if b'"role":"assistant"' in line)
    return n


def corpus(out: Path, calls: int, seed: int) -> Path:
    tag = out / f"api-corpus-{calls}-{seed}"
    if (tag / "demo-totals.json").exists() and (tag / "calls").exists():
        return tag
    sessions = max(20, int(calls / CALLS_PER_SESSION))
    while True:
        shutil.rmtree(tag, ignore_errors=True)
        print(f"generating {sessions} demo sessions …", flush=True)
        generate(tag, sessions=sessions, agents=4, era="jsonl", seed=seed)
        have = count_calls(tag)
        if have >= calls:
            (tag / "calls").write_text(str(have))
            return tag
        sessions = int(sessions * calls / max(have, 1) * 1.05) + 1


BIG_SESSION = "bench0000-0000-4000-8000-000000005000"


def big_session(state: Path, entries: int = 5000) -> None:
    """Adds one session of `entries` entries: the largest demo transcript's body repeated with its
    entry and tool-call ids made unique (the demo's own sessions are a few dozen entries long)."""
    path = state / "agents" / "main" / "sessions" / f"{BIG_SESSION}.jsonl"
    if path.exists():
        return
    source = max(state.glob("agents/main/sessions/*.jsonl"), key=lambda p: p.stat().st_size)
    header, *body = source.read_text().splitlines()
    ids = set(re.findall(r'"id":"([^"]+)"', "\n".join(body)))
    pattern = re.compile('"(' + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + ')"')
    old = json.loads(header)["id"]
    out = [header.replace(old, BIG_SESSION)]
    k = 0
    while len(out) < entries:
        out += [pattern.sub(lambda m, k=k: f'"{m.group(1)}-{k}"', line) for line in body]
        k += 1
    path.write_text("\n".join(out[:entries]) + "\n")


def timed(client: TestClient, url: str, headers: dict[str, str], repeat: int) -> tuple[float, float]:
    client.get(url, headers=headers)  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def bench_backend(
    name: str, url: str, state: Path, repeat: int
) -> tuple[list[tuple[str, float, float]], dict]:
    store = Store(url)
    t = time.perf_counter()
    ingest(store, [state], instance="bench", estimate=False)
    ingest_s = time.perf_counter() - t
    with store.engine.connect() as conn:
        calls = int(conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one())
        sid, entries = conn.execute(
            text("SELECT session_id, n_entries FROM sessions ORDER BY n_entries DESC LIMIT 1")
        ).one()
        first, last = conn.execute(text("SELECT min(ts_ms), max(ts_ms) FROM llm_calls")).one()
    plain, _ = store.keys.create("bench", ("admin",), 1_000_000)
    headers = {"Authorization": f"Bearer {plain}"}
    mid = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((first + last) / 2000))
    month = mid[:7] + "-01"
    y, m = int(mid[:4]), int(mid[5:7])
    next_month = f"{y + (m == 12)}-{m % 12 + 1:02d}-01"
    rows = []
    app = create_app(Settings(db=url, home=HERE / "out" / "home", instance="bench"), store=store)
    with TestClient(app) as client:
        for ep in ENDPOINTS:
            path = ep.format(month=month, next_month=next_month, mid=mid)
            p50, p95 = timed(client, path, headers, repeat)
            rows.append((ep.split("?")[0] + ("?period" if "?" in ep else ""), p50, p95))
            print(f"  {name} {path}: p50 {p50:.1f} ms, p95 {p95:.1f} ms", flush=True)
        samples = []
        for _ in range(repeat):
            t = time.perf_counter()
            assert client.get(f"/api/v1/sessions/{sid}", headers=headers).status_code == 200
            r = client.get(f"/api/v1/sessions/{sid}/history?limit=5000", headers=headers)
            samples.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
            assert len(r.json()["entries"]) == min(entries, 5000)
        samples.sort()
        rows.append(
            ("open session (detail + history)", statistics.median(samples), samples[int(0.95 * (repeat - 1))])
        )
        print(f"  {name} open {entries}-entry session: p50 {rows[-1][1]:.1f} ms, p95 {rows[-1][2]:.1f} ms")
    store.close()
    return rows, {"calls": calls, "entries": int(entries), "ingest_s": ingest_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--pg", default=PG)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    state = corpus(args.out, args.calls, args.seed)
    big_session(state)
    db = args.out / "api-bench.db"
    db.unlink(missing_ok=True)
    schema = "bench_" + uuid.uuid4().hex[:8]
    import psycopg

    raw = args.pg.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    results = {}
    try:
        results["SQLite"] = bench_backend("sqlite", sqlite_url(db), state, args.repeat)
        pg = f"{args.pg}?options=-csearch_path%3D{schema}"
        results["PostgreSQL"] = bench_backend("postgres", pg, state, args.repeat)
    finally:
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    lines = []
    meta = results["SQLite"][1]
    lines.append(
        f"store: {meta['calls']:,} model calls (clawscope demo, seed {args.seed}, `--calls {args.calls}`); "
        f"largest session {meta['entries']:,} entries; {args.repeat} timed requests each, in-process ASGI "
        f"(auth on); CPython {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} (a shared machine)\n"
    )
    lines.append(
        "| endpoint | SQLite p50 ms | SQLite p95 ms | PostgreSQL p50 ms | PostgreSQL p95 ms | target p95 |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|")
    verdicts = []
    for (ep, s50, s95), (_, p50, p95) in zip(results["SQLite"][0], results["PostgreSQL"][0], strict=True):
        lines.append(f"| `{ep}` | {s50:.1f} | {s95:.1f} | {p50:.1f} | {p95:.1f} | < 100 |")
        if max(s95, p95) >= 100:
            verdicts.append(ep)
    lines.append("")
    lines.append(
        f"- ingest: SQLite {results['SQLite'][1]['ingest_s']:.0f} s, PostgreSQL "
        f"{results['PostgreSQL'][1]['ingest_s']:.0f} s"
    )
    lines.append(
        "- targets (p95 < 100 ms): " + ("all met" if not verdicts else "NOT met for " + ", ".join(verdicts))
    )
    if meta["calls"] < 1_000_000:
        lines.append(
            f"- run at {meta['calls']:,} model calls, below the 1,000,000 the issue asks for "
            "(`--calls 1000000` is the default; its corpus takes far longer to generate and ingest)"
        )
    body = "\n".join(lines)
    print(body)
    write_section("api", "bench/api.py", body)


if __name__ == "__main__":
    main()

"""`/metrics` benchmark: p50/p95 of a scrape over a store with 1,000,000 model calls (and 100,000 for the
trend), in-process through the ASGI app with auth on; the baseline is `GET /api/v1/health` in the same
run. Also the number of series a scrape holds. Target: p95 < 50 ms at 1M model calls.

    .venv/bin/python bench/metrics.py [--calls 1000000] [--repeat 50]

The store is filled directly (bench/bigstore.py). Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from fastapi.testclient import TestClient  # noqa: E402

from bigstore import filled  # noqa: E402
from clawscope.config import Settings  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.web import create_app  # noqa: E402
from results import write_section  # noqa: E402


def timed(client: TestClient, path: str, headers: dict[str, str], repeat: int) -> tuple[float, float, str]:
    client.get(path, headers=headers)  # warm
    samples = []
    body = ""
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
        body = r.text
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], body


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=100)
    args = ap.parse_args()
    rows = []
    for calls in args.calls:
        print(f"store with {calls:,} model calls …", flush=True)
        url = filled(calls)
        with Store(url) as store:
            key, _ = store.keys.create("bench", ("metrics:read",), 100_000)
            app = create_app(Settings(db=url, home=HERE / "out" / "home"), store=store)
            headers = {"Authorization": f"Bearer {key}"}
            with TestClient(app) as client:
                h50, h95, _ = timed(client, "/api/v1/health", {}, args.repeat)
                m50, m95, body = timed(client, "/metrics", headers, args.repeat)
        series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
        rows.append((calls, m50, m95, h50, h95, series))
        print(
            f"  /metrics p50 {m50:.1f} ms p95 {m95:.1f} ms; health p95 {h95:.1f} ms; {series} series",
            flush=True,
        )
    table = "\n".join(
        f"| {c:,} | {m50:.1f} | {m95:.1f} | {h50:.1f} | {h95:.1f} | {m95 / h95:.1f}× | {s} |"
        for c, m50, m95, h50, h95, s in rows
    )
    big = rows[-1]
    verdict = "met" if big[2] < 50 else "NOT met"
    body = (
        f"Store filled directly (bench/bigstore.py: sessions of 10 model calls and 4 tool calls, 4 agents, "
        f"6 triggers, 3 channels, 8 models, 40 tools, 90 days), SQLite; {args.repeat} timed scrapes each, "
        f"in-process ASGI with auth on; CPython {platform.python_version()}, {os.cpu_count()} cores, load "
        f"average {os.getloadavg()[0]:.1f} (a shared machine)\n\n"
        "| model calls | /metrics p50 ms | /metrics p95 ms | health p50 ms (baseline) | health p95 ms | "
        "p95 / baseline | series |\n|---:|---:|---:|---:|---:|---:|---:|\n"
        f"{table}\n\n- target: /metrics p95 < 50 ms at {big[0]:,} model calls: {big[2]:.1f} ms, {verdict}"
    )
    write_section("metrics", "bench/metrics.py", body)


if __name__ == "__main__":
    main()

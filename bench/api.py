"""API benchmark: p50/p95 latency of every stats endpoint, the sessions and findings lists and the
dashboard pages, over a 1,000,000-model-call store, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--calls 1000000] [--seed 1] [--repeat 20] [--pg URL] [--only sqlite]

The store comes from the corpus builder (bench/bigstore.py: written straight through the store's bulk
writer, cached by a content key; its build time is printed when it is built). Each request runs
in-process through the ASGI app (real auth: a bearer key for the API, the login cookie for pages; real
database; no network). The baseline, measured in the same run, is `GET /api/v1/health` through the same
stack (routing, middleware, one trivial query): each row's p95 is also given as a multiple of it.
CPU ms per request (this process's, database included on SQLite) is reported beside the wall times, which
a loaded machine inflates. Target: p95 < 100 ms per endpoint and page, on both backends. Writes one
section of bench/RESULTS.md per backend (`api-sqlite`, `api-postgresql`).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bigstore import filled  # noqa: E402
from clawscope.config import Settings  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.web import create_app  # noqa: E402
from results import write_section  # noqa: E402

PG = os.environ.get("CLAWSCOPE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 100.0
SLOW_S = 5.0
BASELINE = "/api/v1/health"
API = [
    "/api/v1/stats",
    "/api/v1/stats?from={month}&to={next_month}",
    "/api/v1/stats/models",
    "/api/v1/stats/providers",
    "/api/v1/stats/agents",
    "/api/v1/stats/kinds",
    "/api/v1/stats/triggers",
    "/api/v1/stats/channels",
    "/api/v1/stats/hours",
    "/api/v1/stats/days",
    "/api/v1/stats/months",
    "/api/v1/stats/tools",
    "/api/v1/stats/tools?from={month}&to={next_month}",
    "/api/v1/stats/sessions",
    "/api/v1/stats/forecast?at={mid}",
    "/api/v1/stats/compare?from={month}&to={next_month}",
    "/api/v1/stats/reconciliation",
    "/api/v1/sessions",
    "/api/v1/sessions?agent=ops&limit=100",
    "/api/v1/findings",
    "/api/v1/findings?family=loop&limit=100",
]
PAGES = ["/", "/timeline", "/models", "/tools", "/sessions", "/agents"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def timed(client: TestClient, url: str, headers: dict[str, str], repeat: int) -> tuple[float, float, float]:
    """p50 and p95 wall ms, and the mean CPU ms this process spent per request (on SQLite the whole
    request, database included: a load-independent measure on a shared machine; on PostgreSQL the
    server's own CPU is not in it)."""
    t = time.perf_counter()
    r = client.get(url, headers=headers)  # warm (and checked)
    assert r.status_code == 200, (url, r.status_code, r.text[:300])
    if time.perf_counter() - t > SLOW_S:  # far off target already: a few samples say as much
        repeat = min(repeat, 3)
    samples = []
    cpu = time.process_time()
    for _ in range(repeat):
        t = time.perf_counter()
        r = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
    cpu_ms = (time.process_time() - cpu) * 1000 / repeat
    return (*percentiles(samples), cpu_ms)


def _label(url: str) -> str:
    path, _, query = url.partition("?")
    return path + ("?" + "&".join(p.split("=")[0] for p in query.split("&")) if query else "")


def bench_backend(
    name: str, url: str, repeat: int
) -> tuple[list[tuple[str, float, float, float]], dict[str, Any]]:
    store = Store(url)
    with store.engine.connect() as conn:
        calls = int(conn.execute(text("SELECT count(*) FROM llm_calls")).scalar_one())
        sessions = int(conn.execute(text("SELECT count(*) FROM sessions")).scalar_one())
        first, last = conn.execute(text("SELECT min(ts_ms), max(ts_ms) FROM llm_calls")).one()
    plain, _ = store.keys.create("bench", ("admin",), 1_000_000)
    headers = {"Authorization": f"Bearer {plain}"}
    mid = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((first + last) / 2000))
    month = mid[:7] + "-01"
    y, m = int(mid[:4]), int(mid[5:7])
    next_month = f"{y + (m == 12)}-{m % 12 + 1:02d}-01"
    rows = []
    app = create_app(Settings(db=url, home=HERE / "out" / "home", instance="bench"), store=store)
    cpu0 = time.process_time()
    with TestClient(app, base_url="http://127.0.0.1") as client:
        rows.append(("baseline " + BASELINE, *timed(client, BASELINE, {}, repeat)))
        for ep in API:
            path = ep.format(month=month, next_month=next_month, mid=mid)
            rows.append((_label(ep), *timed(client, path, headers, repeat)))
            _, p50, p95, cpu_ms = rows[-1]
            print(f"  {name} {path}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, cpu {cpu_ms:.1f} ms", flush=True)
        login = client.post("/login", data={"api_key": plain}, follow_redirects=False)
        assert login.status_code == 303, login.text[:300]
        for page in PAGES:
            rows.append((f"page {page}", *timed(client, page, {}, repeat)))
            _, p50, p95, cpu_ms = rows[-1]
            print(
                f"  {name} page {page}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, cpu {cpu_ms:.1f} ms", flush=True
            )
    cpu = time.process_time() - cpu0
    store.close()
    return rows, {"calls": calls, "sessions": sessions, "cpu_s": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--pg", default=PG)
    ap.add_argument("--only", choices=("sqlite", "postgresql"), default=None)
    ap.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    ap.add_argument("--url", default=None, help="with --only: bench this store as it is (no corpus build)")
    args = ap.parse_args()
    backends = {"SQLite": None, "PostgreSQL": args.pg}
    if args.only:
        backends = {k: v for k, v in backends.items() if k.lower() == args.only}
    for name, pg in backends.items():
        t = time.perf_counter()
        url = args.url if args.url and args.only else filled(args.calls, args.seed, pg)
        built = time.perf_counter() - t
        print(f"{name}: store ready in {built:.0f} s", flush=True)
        rows, meta = bench_backend(name, url, args.repeat)
        body = report(name, rows, meta, built, args)
        print(body)
        if not args.no_write:
            write_section(f"api-{name.lower()}", f"bench/api.py --only {name.lower()}", body)


def report(
    name: str, rows: list[tuple[str, float, float, float]], meta: dict[str, Any], built: float, args: Any
) -> str:
    lines = [
        f"{name}; store: {meta['calls']:,} model calls in {meta['sessions']:,} sessions (bench/bigstore.py, "
        f"seed {args.seed}); {args.repeat} timed requests each after one warm-up (3 when the warm-up took "
        f"over {SLOW_S:.0f} s), in-process ASGI (auth on); CPython {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + " at the end (a shared machine: wall times are inflated by the load; CPU ms per request is "
        "the load-independent measure, and on SQLite it includes the database's work)\n",
        "| endpoint | p50 ms | p95 ms | p95 / baseline | CPU ms/req | target p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    missed: list[str] = []
    base = rows[0][2]
    for i, (label, p50, p95, cpu_ms) in enumerate(rows):
        verdict = "baseline" if i == 0 else ("met" if p95 < TARGET_MS else "NOT met")
        if verdict == "NOT met":
            missed.append(label)
        ratio = p95 / max(base, 1e-9)
        target = f"< {TARGET_MS:.0f}: {verdict}"
        lines.append(f"| `{label}` | {p50:.1f} | {p95:.1f} | {ratio:.1f}× | {cpu_ms:.1f} | {target} |")
    lines.append("")
    how = "built" if built > 5 else "cached, found"
    lines.append(f"- store {how} in {built:.0f} s; {meta['cpu_s']:.1f} s CPU in the benchmark process in all")
    lines.append(
        f"- targets (p95 < {TARGET_MS:.0f} ms): "
        + ("all met" if not missed else f"NOT met for {len(missed)} of {len(rows) - 1}: {', '.join(missed)}")
    )
    if meta["calls"] < 1_000_000:
        lines.append(f"- run at {meta['calls']:,} model calls, below the 1,000,000 the issue asks for")
    return "\n".join(lines)


if __name__ == "__main__":
    main()

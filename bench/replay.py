"""Replay benchmark (issue 18 item 4, issue 17 target): the first screen of a 5,000-entry session.

    .venv/bin/python bench/replay.py [--entries 5000] [--runs 5]

Writes a 5,000-entry OpenClaw transcript (tests/support/long_session.py), ingests it into a new SQLite
database, serves the app on loopback (real HTTP) and times, median of --runs:
  (a) the dashboard's session page (`GET /sessions/{id}`: the first replay page, HTML);
  (b) the REST history's first screenful (`GET /api/v1/sessions/{id}/history?limit=50`);
  (c) baseline, the same run: the REST history of the whole session in one answer (`limit=5000`), the
      size the replay rendered before it was paged.
Targets: (a) < 1 s, (b) < 100 ms. Prints met / NOT met and the ratios to (c); writes its section of
bench/RESULTS.md (with the load average: the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from tests.support.long_session import write_session  # noqa: E402
from tests.support.server import LiveServer  # noqa: E402

from clawscope.config import Settings  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.web import create_app  # noqa: E402
from results import write_section  # noqa: E402


def timed(client: httpx.Client, path: str, runs: int) -> tuple[float, int]:
    """Median seconds of `runs` GETs (after one warm-up), and the size of the answer."""
    r = client.get(path)
    r.raise_for_status()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
    return statistics.median(times), len(r.content)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="clawscope-bench-replay-"))
    try:
        sid = write_session(tmp / "state", args.entries)
        settings = Settings(db=sqlite_url(tmp / "db.sqlite"), home=tmp / "home", no_auth=True)
        with Store(settings.db_url) as store:
            ingest(store, [tmp / "state"], instance="bench", estimate=False)
            app = create_app(settings, store=store)
            with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=120) as c:
                page, page_b = timed(c, f"/sessions/{sid}", args.runs)
                first, first_b = timed(c, f"/api/v1/sessions/{sid}/history?limit=50", args.runs)
                whole, whole_b = timed(c, f"/api/v1/sessions/{sid}/history?limit=5000", args.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [
        ("(a) dashboard session page, first replay page", page, page_b, 1.0),
        ("(b) REST history, first screenful (50)", first, first_b, 0.1),
        (f"(c) baseline: REST history, all {args.entries} entries", whole, whole_b, None),
    ]
    lines = ["| what | median | bytes | vs (c) | target |", "|---|---:|---:|---:|---|"]
    for name, secs, size, target in rows:
        verdict = "–" if target is None else ("met" if secs < target else "NOT met") + f" (< {target:g} s)"
        lines.append(f"| {name} | {secs * 1000:.0f} ms | {size:,} | {secs / whole:.2f}× | {verdict} |")
        print(f"{name}: {secs * 1000:.0f} ms, {size:,} bytes, {secs / whole:.2f}× of (c) — {verdict}")
    note = f"{args.entries}-entry session, median of {args.runs}; load average {load}."
    body = "\n".join(lines) + f"\n\n{note}\n"
    write_section("replay", "bench/replay.py", body)


if __name__ == "__main__":
    main()

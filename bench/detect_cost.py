"""Where detection's CPU goes on a cold ingest, and a digest of what it finds.

    .venv/bin/python bench/detect_cost.py [--lines 40000] [--seed 7] [--db PATH] [--profile N] [--dump FILE]

Ingests (once, cached under bench/out/) the same kind of `clawscope demo` corpus `bench/ingest.py`
builds, with detection off, then in this process: builds every session's `SessionView`
(`store.detection.views`) and runs each registered detector over every view, timing each part in CPU
seconds (`time.process_time`, so a loaded machine inflates it little). Prints the views' cost, each
detector's, their sum, and a SHA-256 of every finding (all fields, in order): an optimisation of
detection must leave that digest unchanged. `--profile N` adds cProfile's N most expensive functions
(cumulative); `--dump FILE` writes the findings as JSON lines (to diff two runs).
Detection's budget is ≤ 25 % of the cold ingest's CPU (bench/ingest.py (e)/(c)).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import pstats
import subprocess
import sys
import time
from pathlib import Path

import msgspec

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.detect.base import DetectorSettings  # noqa: E402
from clawscope.detect.runner import detect_view, load_all  # noqa: E402
from clawscope.model.detection import Finding, SessionView  # noqa: E402
from clawscope.store import Store  # noqa: E402
from ingest import corpus  # noqa: E402


def ingested(state: Path, db: Path) -> None:
    """The corpus ingested into `db` with detection off (a subprocess, as `clawscope ingest` runs)."""
    if db.exists():
        return
    cmd = [sys.executable, "-m", "clawscope.cli", "ingest", str(state), "--db", str(db)]
    subprocess.run([*cmd, "--instance", "bench", "--no-detect", "--json"], check=True, capture_output=True)


def measure(store: Store) -> tuple[float, dict[str, float], list[Finding], int]:
    """(views CPU s, CPU s per detector, every finding, sessions)."""
    dets = load_all()
    settings = {i: DetectorSettings(params=dict(d.defaults)) for i, d in dets.items()}
    ids = store.detection.session_ids()
    per = dict.fromkeys(sorted(dets), 0.0)
    views_cpu = 0.0
    found: list[Finding] = []
    gc.disable()
    try:
        it = iter(store.detection.views(ids))
        while True:
            t0 = time.process_time()
            view: SessionView | None = next(it, None)
            views_cpu += time.process_time() - t0
            if view is None:
                break
            for det_id in per:
                t0 = time.process_time()
                found += detect_view(view, settings, detectors={det_id: dets[det_id]}, strict=True)
                per[det_id] += time.process_time() - t0
    finally:
        gc.enable()
    return views_cpu, per, found, len(ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    ap.add_argument("--db", type=Path, help="an ingested store to use instead of the corpus")
    ap.add_argument("--profile", type=int, default=0, help="print cProfile's N costliest functions")
    ap.add_argument("--dump", type=Path, help="write every finding as a JSON line to this file")
    args = ap.parse_args()
    db = args.db
    if db is None:
        args.out.mkdir(parents=True, exist_ok=True)
        state = corpus(args.out, args.lines, args.seed)
        db = args.out / f"detect-cost-{args.lines}-{args.seed}.db"
        ingested(state, db)
    with Store(sqlite_url(db), auto_migrate=False) as store:
        prof = cProfile.Profile() if args.profile else None
        if prof is not None:
            prof.enable()
        views_cpu, per, found, n = measure(store)
        if prof is not None:
            prof.disable()
    found.sort(key=lambda f: (f.session_id, f.first_ms or 0, f.detector, f.anchor_entry_id))
    encoded = [msgspec.json.encode(f) for f in found]
    digest = hashlib.sha256(b"\n".join(encoded)).hexdigest()[:16]
    if args.dump:
        args.dump.write_bytes(b"".join(e + b"\n" for e in encoded))
    total = views_cpu + sum(per.values())
    print(f"{n} sessions, {len(found)} findings, digest {digest}")
    print(f"views {views_cpu:.2f} s CPU; detectors {sum(per.values()):.2f} s; total {total:.2f} s")
    for det_id, cpu in sorted(per.items(), key=lambda kv: -kv[1]):
        print(f"  {cpu:6.3f}  {det_id}")
    if prof is not None:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()

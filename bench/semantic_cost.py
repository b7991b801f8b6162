"""What the four semantic families' detectors cost over a cold-ingest corpus, per detector.

    .venv/bin/python bench/semantic_cost.py [--lines 40000] [--rounds 3] [--compare SRC]

The corpus is `bench/ingest.py`'s (cached under bench/out/), ingested (no detection) into a SQLite
file by each checkout measured; every session's `SessionView` is then built once and each detector
of the four families timed over all of them (user CPU of the process, best of `--rounds`). With
`--compare SRC` (another checkout's `src/`, e.g. main's) the same runs for that code in a subprocess
in the same run, so both columns share the machine's load. This is the detectors' own share; how much
detection adds to cold ingest in all is `bench/ingest.py`'s (e)/(c).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAMILIES = ("prompt_injection", "hallucination", "coordination_failure", "persona_drift")


def measure(state: str, db_file: str, rounds: int) -> dict[str, float]:
    from clawscope.dburl import sqlite_url
    from clawscope.detect.runner import detect_view, load_all, selected
    from clawscope.ingest import ingest
    from clawscope.store import Store

    dets = selected(load_all(), FAMILIES)
    with Store(sqlite_url(Path(db_file))) as store:
        ingest(store, [Path(state)], instance="bench", estimate=False)  # each checkout its own schema
        views = list(store.detection.views(store.detection.session_ids()))
    out: dict[str, float] = {}
    for det_id, det in sorted(dets.items()):
        best = float("inf")
        for _ in range(rounds):
            t0 = time.process_time()
            for v in views:
                detect_view(v, detectors={det_id: det}, strict=True)
            best = min(best, time.process_time() - t0)
        out[det_id] = best
    out["sessions"] = len(views)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=40000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", type=Path, help="another checkout's src/ to time in the same run")
    parser.add_argument("--child", nargs=3, metavar=("STATE", "DB", "ROUNDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], int(args.child[2]))))
        return 0
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "src"))
    import ingest as ingest_bench

    state = ingest_bench.corpus(HERE / "out", args.lines, 7)
    with tempfile.TemporaryDirectory(prefix="clawscope-semcost-") as tmp:
        runs = {"this branch": HERE.parent / "src"}
        if args.compare:
            runs["compare"] = args.compare
        results = {}
        for name, src in runs.items():
            env = {**os.environ, "PYTHONPATH": str(src)}
            child = ["--child", str(state), f"{tmp}/{len(results)}.db", str(args.rounds)]
            out = subprocess.run(
                [sys.executable, __file__, *child],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    load = os.getloadavg()
    ids = sorted({k for r in results.values() for k in r if k != "sessions"})
    print(f"{int(results['this branch']['sessions'])} sessions; load average {load[0]:.1f} {load[1]:.1f}")
    print("| detector | " + " | ".join(f"{n} (s CPU)" for n in results) + " |")
    print("|---|" + "---:|" * len(results))
    for i in ids:
        print(f"| {i} | " + " | ".join(f"{r[i]:.3f}" if i in r else "-" for r in results.values()) + " |")
    tot = {n: sum(v for k, v in r.items() if k != "sessions") for n, r in results.items()}
    print("| **all four families** | " + " | ".join(f"**{t:.3f}**" for t in tot.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Precision, recall and evidence hits of the registered detectors, next to the baselines, on every corpus.

    .venv/bin/python bench/detect.py [--family F ...] [--json] [--fast] [--demo-sessions 400]
                                     [--cache DIR] [--errors] [--no-baselines] [--latency N] [--no-record]

For each labelled corpus (the committed recordings of the real OpenClaw in tests/fixtures/detect/ and a
generated `clawscope demo` with its labelled failures), it ingests the state dirs with clawscope into a
SQLite store, builds every session's `SessionView` through the store (`store.detection`), runs every
registered detector (`detect.runner`, settings = defaults) and scores the findings per family at session
level (`bench/scoring.py`: precision, recall, F1, and the share of findings on true positives whose
entry ids hit the labelled entries). The baselines (`bench/baselines.py`: OpenHands' StuckDetector rules
for `loop`, a keyword/regex list per other family) are measured in the same run on the same sessions.
The held-out recordings (tests/fixtures/detect-heldout/, never tuned on) are scored the same way in
tables of their own, and are not part of "all".
Then it ingests the real samples in ../shared/samples/ (clean sessions: every finding there is counted
per family, the target is zero unless a real failure is there) and prints the counts. Last, the time
from an appended transcript line to its `detection` event on a real server's SSE stream
(`bench/detect_latency.py`, `--latency N` appends; 0 skips it; target: median < 2 s).

For tuning a family: `--fast` skips the demo, the samples and the baselines, `--family F` scores only
F (and runs only its detectors), `--cache DIR` keeps the ingested stores between runs (ingest is
incremental, so a second run reads nothing again), `--errors` lists every false positive and false
negative with its scenario and the entries cited. `--json` prints the tables as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import baselines  # noqa: E402
import detect_latency  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.detect.runner import detect_view, load_all, selected  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.model.detection import Finding  # noqa: E402
from clawscope.store import Store  # noqa: E402
from corpus import Corpus, demo, heldout, sessions, tuning  # noqa: E402
from results import write_section  # noqa: E402
from scoring import FAMILIES, Table, format_table, merge, score  # noqa: E402

# the real sample state dirs (../shared/samples of the project's checkout; CLAWSCOPE_SAMPLES elsewhere)
SAMPLES = Path(os.environ.get("CLAWSCOPE_SAMPLES") or HERE.parents[1] / "shared" / "samples")


def open_ingested(corpus: Corpus, work: Path) -> Store:
    """The corpus ingested into `work/<name>.db` (incremental: a cached store reads nothing again)."""
    store = Store(sqlite_url(work / (corpus.name + ".db")))
    ingest(store, corpus.state_dirs, instance=corpus.name, estimate=False)
    stored = store.sessions_with_entries()
    if corpus.complete:
        missing = set(corpus.labels) - stored
        if missing:
            raise SystemExit(
                f"{corpus.name}: labelled sessions missing from the store: {sorted(missing)[:5]}"
            )
    else:
        for sid in stored:
            corpus.labels.setdefault(sid, {})
    return store


def run_detectors(store: Store, ids: list[str], families: list[str]) -> tuple[list[Finding], float]:
    dets = selected(load_all(), families)
    started = time.perf_counter()
    found = [f for v in store.detection.views(ids) for f in detect_view(v, detectors=dets, strict=True)]
    return found, time.perf_counter() - started


def predictions(found: Iterable[Finding]) -> dict[str, dict[str, set[str]]]:
    out: dict[str, dict[str, set[str]]] = {}
    for f in found:
        out.setdefault(f.session_id, {}).setdefault(f.family, set()).update(f.entry_ids)
    return out


def errors(corpus: Corpus, found: list[Finding], families: list[str]) -> list[str]:
    """One line per false positive / false negative session (for tuning)."""
    pred = predictions(found)
    lines = []
    for sid, truth in sorted(
        corpus.labels.items(), key=lambda kv: str(corpus.meta.get(kv[0], {}).get("session"))
    ):
        name = corpus.meta.get(sid, {}).get("session", sid)
        for fam in families:
            said, real = fam in pred.get(sid, {}), fam in truth
            if said and not real:
                why = [f"{f.detector}: {f.message}" for f in found if f.session_id == sid and f.family == fam]
                lines.append(f"FP {fam:21} {corpus.name} {name} ({sid}): {'; '.join(why)[:300]}")
            elif real and not said:
                lines.append(f"FN {fam:21} {corpus.name} {name} ({sid}) labelled {sorted(truth[fam])[:3]}")
    return lines


def sample_counts(work: Path, families: list[str], root: Path = SAMPLES) -> dict[str, dict[str, int]]:
    """Findings per family on each real sample state dir (all of its sessions are clean)."""
    out: dict[str, dict[str, int]] = {}
    if not root.is_dir():
        print(f"no real samples at {root} (set CLAWSCOPE_SAMPLES): not counted", file=sys.stderr)
    for state in sorted(p for p in root.glob("openclaw-*") if p.is_dir()):
        store = Store(sqlite_url(work / f"sample-{state.name}.db"))
        try:
            ingest(store, [state], instance=state.name, estimate=False)
            found, _ = run_detectors(store, store.detection.session_ids(), families)
        finally:
            store.close()
        counts = dict.fromkeys(families, 0)
        for f in found:
            counts[f.family] += 1
        out[state.name] = counts
    return out


def measure(
    corpus: Corpus, work: Path, families: list[str], with_baselines: bool
) -> tuple[Table, Table | None, list[Finding], dict[str, float]]:
    t0 = time.perf_counter()
    store = open_ingested(corpus, work)
    try:
        t_ingest = time.perf_counter() - t0
        ids = sorted(corpus.labels)
        found, t_detect = run_detectors(store, ids, families)
        table = score(
            predictions(found),
            corpus.labels,
            families,
            [(f.session_id, f.family, set(f.entry_ids)) for f in found],
        )
        base = None
        if with_baselines:
            preds = {v.session_id: baselines.predict(v) for v in sessions(store, ids)}
            preds = {s: {f: e for f, e in p.items() if f in families} for s, p in preds.items()}
            base = score(preds, corpus.labels, families)
    finally:
        store.close()
    return table, base, found, {"ingest_s": t_ingest, "detect_s": t_detect, "sessions": len(corpus.labels)}


def side_by_side(det: Table, base: Table | None, title: str) -> str:
    if base is None:
        return format_table(det, title)
    f = lambda x: "  -  " if x is None else f"{x:.2f}"  # noqa: E731
    lines = [
        f"**{title}** ({det.sessions} sessions)\n",
        "| family | pos | neg | TP | FP | FN | precision | recall | F1 | entry hits "
        "| baseline P | baseline R | baseline F1 | baseline hits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in det.families:
        b = base.family(d.family)
        lines.append(
            f"| {d.family} | {d.positives} | {d.negatives} | {d.tp} | {d.fp} | {d.fn} | {f(d.precision)} | "
            f"{f(d.recall)} | {f(d.f1)} | {f(d.entry_hit_rate)} | {f(b.precision)} | {f(b.recall)} | "
            f"{f(b.f1)} | {f(b.entry_hit_rate)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description="score the registered detectors against the labelled corpora"
    )
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only this family (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the tables as JSON")
    parser.add_argument(
        "--fast", action="store_true", help="committed corpora only: no demo, samples, baselines"
    )
    parser.add_argument("--demo-sessions", type=int, default=400, help="demo size (0: no demo)")
    parser.add_argument("--cache", type=Path, help="keep the ingested stores in this folder between runs")
    parser.add_argument("--errors", action="store_true", help="list false positives and false negatives")
    parser.add_argument("--no-baselines", action="store_true", help="do not measure the baselines")
    parser.add_argument("--latency", type=int, default=10, help="appends timed to their event (0: skip)")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of real sample state dirs")
    parser.add_argument("--no-record", action="store_true", help="do not rewrite its section of RESULTS.md")
    args = parser.parse_args()
    families = list(args.family or FAMILIES)
    with_baselines = not (args.fast or args.no_baselines)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clawscope-detect-") as tmp:
        work = args.cache or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpora: list[Corpus] = list(tuning())
        if not args.fast and args.demo_sessions:
            for era in ("jsonl", "sqlite"):
                out = work / f"demo-{era}-{args.demo_sessions}"
                corpora.append(demo(out, sessions=args.demo_sessions, agents=3, era=era, seed=7))
        det_tables: dict[str, Table] = {}
        base_tables: dict[str, Table] = {}
        timings: dict[str, dict[str, float]] = {}
        error_lines: list[str] = []
        for corpus in corpora:
            det, base, found, timing = measure(corpus, work, families, with_baselines)
            det_tables[corpus.name], timings[corpus.name] = det, timing
            if base is not None:
                base_tables[corpus.name] = base
            if args.errors:
                error_lines += errors(corpus, found, families)
        tuned = [c.name for c in corpora]
        det_tables["all"] = merge(*[det_tables[n] for n in tuned])
        if base_tables:
            base_tables["all"] = merge(*[base_tables[n] for n in tuned if n in base_tables])
        # the held-out recordings: scored apart, never merged into "all" (no threshold was set on them)
        held = heldout()
        for corpus in held:
            det, base, found, timing = measure(corpus, work, families, with_baselines)
            det_tables[corpus.name], timings[corpus.name] = det, timing
            if base is not None:
                base_tables[corpus.name] = base
            if args.errors:
                error_lines += errors(corpus, found, families)
        if held:
            det_tables["held-out (all)"] = merge(*[det_tables[c.name] for c in held])
            if base_tables:
                base_tables["held-out (all)"] = merge(*[base_tables[c.name] for c in held])
        samples = {} if args.fast else sample_counts(work, families, args.samples)
        latency = detect_latency.measure(work, args.latency) if args.latency and not args.fast else None
    total = time.perf_counter() - started
    if args.json:
        print(
            json.dumps(
                {
                    "detectors": {n: t.as_dict() for n, t in det_tables.items()},
                    "baselines": {n: t.as_dict() for n, t in base_tables.items()},
                    "samples": samples,
                    "latency": latency,
                    "timings": timings,
                    "seconds": total,
                    "errors": error_lines,
                },
                indent=1,
            )
        )
        return 0
    body = "\n".join(side_by_side(t, base_tables.get(n), n) for n, t in det_tables.items())
    if samples:
        body += "\nFindings on the real samples (clean sessions; target 0):\n\n"
        body += "| sample | " + " | ".join(families) + " |\n|---|" + "---:|" * len(families) + "\n"
        for name, counts in samples.items():
            body += f"| {name} | " + " | ".join(str(counts[f]) for f in families) + " |\n"
    if latency is not None:
        med = latency["median_s"]
        seen = f"{latency['events']} of {latency['samples']} announced"
        body += f"\nAppend → `detection` event on the stream ({seen}): "
        body += (
            f"median {med:.2f} s, p95 {latency['p95_s']:.2f} s, max {latency['max_s']:.2f} s "
            f"(target: median < 2 s: {'met' if med < 2 else 'NOT met'})\n"
            if med is not None
            else "no detection event (no registered detector flags `sudo rm -rf /etc`)\n"
        )
    body += (
        "\nTimes: "
        + ", ".join(
            f"{n}: ingest {t['ingest_s']:.1f} s, detect {t['detect_s']:.2f} s ({int(t['sessions'])} sessions)"
            for n, t in timings.items()
        )
        + f"; whole run {total:.0f} s.\n"
    )
    title = "Detectors vs baselines, per family, session level (entry hits: findings citing a labelled entry)"
    print(title + "\n\n" + body)
    if error_lines:
        print("\n".join(error_lines))
    if not args.no_record and not args.fast and not args.family:
        write_section("detect", "bench/detect.py", title + ".\n\n" + body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

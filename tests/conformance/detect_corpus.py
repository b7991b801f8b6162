"""Regenerate the labelled detection corpus with the real OpenClaw (both eras) and the fake LLM.

    .venv/bin/python -m tests.conformance.detect_corpus [--out tests/fixtures/detect] [--release V ...]
                                                         [--only NAME,...] [--live] [--jobs 2]
                                                         [--set heldout]

For each release (default: the pinned SQLite-era 2026.9.6 and the JSONL-era 2026.7.35) this records
every corpus scenario in a loopback-only network namespace (`corpus/driver.py`), reads what OpenClaw
stored (`corpus/reader.py`), labels it by construction (`corpus/labels.py`, which refuses a recording
that does not show what a scenario was built for), and writes `<out>/openclaw-<version>/state/` (the
trimmed state dir, `corpus/trim.py`) and `<out>/openclaw-<version>/labels.json`. The releases are
recorded at the same time, each in its own namespace. Needs `scripts/setup-test-deps conformance`.
A run that hit one of OpenClaw's known internal faults is repeated once. `--set heldout` records the
held-out scenarios (`corpus/heldout.py`) into `tests/fixtures/detect-heldout/` instead, `--set loop-turns`
the loop scenarios across user turns into `tests/fixtures/detect-loop-turns/`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conformance import netns
from tests.conformance.corpus.catalog import SETS, scenarios_for
from tests.conformance.corpus.labels import LabelError, build
from tests.conformance.corpus.reader import read_state
from tests.conformance.corpus.trim import size_of, trim_state
from tests.conformance.layout import RunPaths
from tests.conformance.releases import Release, installed, release
from tests.conformance.runs import OPENCLAW_FAULTS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "tests" / "fixtures" / "detect"
DEFAULT_WORK = REPO_ROOT / "artifacts" / "detect-corpus"
HELDOUT_OUT = REPO_ROOT / "tests" / "fixtures" / "detect-heldout"
SET_OUT = {
    "tuning": DEFAULT_OUT,
    "loop-turns": DEFAULT_OUT.with_name("detect-loop-turns"),
    "heldout": HELDOUT_OUT,
}
CORPUS_RELEASES = ("2026.9.6", "2026.7.35")
RECORD_TIMEOUT_S = 1800


class CorpusError(Exception):
    """The corpus could not be recorded or labelled; the message says why and where the logs are."""


@dataclass
class Recording:
    rel: Release
    paths: RunPaths
    proc: subprocess.Popen[bytes]
    started: float
    attempts: int = 1


def start(rel: Release, run_dir: Path, only: str, live: bool, jobs: int, corpus_set: str) -> Recording:
    shutil.rmtree(run_dir, ignore_errors=True)
    paths = RunPaths(run_dir)
    paths.create()
    argv = [*netns.unshare_prefix(), sys.executable, "-m", "tests.conformance.corpus.driver"]
    argv += ["--release", rel.version, "--run-dir", str(run_dir), "--jobs", str(jobs)]
    argv += ["--only", only] if only else []
    argv += ["--live"] if live else []
    argv += ["--set", corpus_set]
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    with (run_dir / "driver.out").open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Recording(rel, paths, proc, time.monotonic())


def wait(rec: Recording) -> dict[str, Any]:
    try:
        rec.proc.wait(timeout=RECORD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(rec.proc.pid, 9)
        raise CorpusError(f"OpenClaw {rec.rel.version}: recording took over {RECORD_TIMEOUT_S} s") from None
    if not rec.paths.result.exists():
        raise CorpusError(
            f"OpenClaw {rec.rel.version}: no result.json; see {rec.paths.run_dir / 'driver.out'}"
        )
    result: dict[str, Any] = json.loads(rec.paths.result.read_text())
    result["wallSeconds"] = round(time.monotonic() - rec.started, 1)
    return result


def fault(rec: Recording) -> str | None:
    text = rec.paths.gateway_out.read_text(errors="replace") if rec.paths.gateway_out.exists() else ""
    return next((f for f in OPENCLAW_FAULTS if f in text), None)


def record(
    versions: list[str],
    work: Path,
    only: str = "",
    live: bool = False,
    jobs: int = 2,
    reuse: bool = False,
    corpus_set: str = "tuning",
) -> dict[str, Any]:
    """Record the chosen scenarios with each release (`reuse`: label the last recordings in `work`
    again instead); returns {version: (recording, driver result, labels)}."""
    rels = [release(v) for v in versions]
    missing = [r.version for r in rels if not installed(r)]
    if missing:
        raise CorpusError(f"OpenClaw {missing} not installed: run `scripts/setup-test-deps conformance`")
    why = netns.probe()
    if why:
        raise CorpusError(f"no loopback-only network namespace (OpenClaw never runs un-isolated): {why}")
    if reuse:
        running = [Recording(r, RunPaths(work / r.version), _finished(), time.monotonic()) for r in rels]
    else:
        running = [start(r, work / r.version, only, live, jobs, corpus_set) for r in rels]
    out: dict[str, Any] = {}
    for first in running:
        rec, result = first, wait(first)
        if not reuse and (why := fault(first)):
            print(
                f"OpenClaw {first.rel.version}: known internal fault ({why}); recording again",
                file=sys.stderr,
            )
            rec = start(first.rel, work / first.rel.version, only, live, jobs, corpus_set)
            rec.attempts = 2
            result = wait(rec)
        if result.get("aborted"):
            raise CorpusError(
                f"OpenClaw {rec.rel.version}: driver aborted: {result['aborted']} (logs in {rec.paths.logs})"
            )
        chosen = scenarios_for(rec.rel.era, live_only=live, corpus_set=corpus_set)
        if only:
            chosen = [s for s in chosen if s.root.name in set(only.split(","))]
        try:
            labels = build(rec.rel, chosen, read_state(rec.paths.state))
        except LabelError as exc:
            raise CorpusError(f"OpenClaw {rec.rel.version}: {exc} (run folder {rec.paths.run_dir})") from exc
        out[rec.rel.version] = (rec, result, labels)
    return out


def _finished() -> subprocess.Popen[bytes]:
    """A process handle that has already exited (for recordings made earlier)."""
    proc = subprocess.Popen([sys.executable, "-c", ""])
    proc.wait()
    return proc


def write_fixture(out: Path, rec: Recording, labels: dict[str, Any]) -> Path:
    target = out / f"openclaw-{rec.rel.version}"
    trim_state(rec.paths.state, target / "state")
    (target / "labels.json").write_text(json.dumps(labels, indent=1, ensure_ascii=False) + "\n")
    return target


def write_index(out: Path) -> Path:
    """`SCENARIOS.md`: every scenario session of the committed labels, and the counts per family."""
    per_release = {
        f.parent.name.removeprefix("openclaw-"): json.loads(f.read_text())
        for f in sorted(out.glob("openclaw-*/labels.json"))
    }
    rows: dict[str, dict[str, Any]] = {}
    counts: dict[str, dict[str, list[int]]] = {}
    for version, data in per_release.items():
        for s in data["sessions"].values():
            row = rows.setdefault(
                s["session"],
                {
                    "role": s["role"],
                    "families": set(),
                    "neg": set(),
                    "note": s["note"],
                    "releases": set(),
                    "subcases": {},
                },
            )
            row["families"] |= set(s["families"])
            row["neg"] |= set(s["hardNegativeFor"])
            row["releases"].add(version)
            row["subcases"].update(s["subcases"])
            for fam in data["families"]:
                c = counts.setdefault(fam, {}).setdefault(version, [0, 0, 0])
                c[0] += fam in s["families"]
                c[1] += fam not in s["families"]
                c[2] += fam in s["hardNegativeFor"] and fam not in s["families"]
    versions = list(per_release)
    lines = [
        "# Corpus scenarios",
        "",
        "Generated by `python -m tests.conformance.detect_corpus` from the labels of "
        + ", ".join(f"`openclaw-{v}`" for v in versions)
        + ". Sessions by family: positives / negatives (of which hard negatives).",
        "",
        "| family | " + " | ".join(versions) + " |",
        "|---|" + "---|" * len(versions),
    ]
    for fam, by_version in counts.items():
        cells = [f"{c[0]} / {c[1]} ({c[2]})" for c in (by_version.get(v, [0, 0, 0]) for v in versions)]
        lines.append(f"| `{fam}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| session | role | labels (sub-case) | hard negative for | recorded with | note |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(rows):
        r = rows[name]
        labels = "; ".join(f"`{f}` ({r['subcases'].get(f, '')})" for f in sorted(r["families"])) or "—"
        neg = ", ".join(f"`{f}`" for f in sorted(r["neg"] - r["families"])) or "—"
        eras = ", ".join(sorted(r["releases"]))
        lines.append(f"| `{name}` | {r['role']} | {labels} | {neg} | {eras} | {r['note']} |")
    path = out / "SCENARIOS.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, help="fixtures folder (default: the set's, under tests/fixtures/)"
    )
    parser.add_argument("--work", type=Path, help=f"run folders (default: {DEFAULT_WORK}[-heldout])")
    parser.add_argument("--set", dest="corpus_set", choices=SETS, default="tuning", help="which scenarios")
    parser.add_argument(
        "--release", action="append", help="OpenClaw release (repeatable; default: both eras)"
    )
    parser.add_argument("--only", default="", help="comma-separated scenario names (for trying one out)")
    parser.add_argument("--live", action="store_true", help="only the CI live subset")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios recorded at once per release")
    parser.add_argument("--no-write", action="store_true", help="record and label, but write no fixtures")
    parser.add_argument("--reuse", action="store_true", help="no recording: label the last ones in --work")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    tuning = args.corpus_set == "tuning"
    args.out = args.out or SET_OUT[args.corpus_set]
    args.work = args.work or (
        DEFAULT_WORK if tuning else DEFAULT_WORK.with_name(f"detect-corpus-{args.corpus_set}")
    )
    try:
        versions = args.release or list(CORPUS_RELEASES)
        done = record(versions, args.work, args.only, args.live, args.jobs, args.reuse, args.corpus_set)
    except CorpusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for version, (rec, result, labels) in done.items():
        sessions = labels["sessions"]
        positives = sum(1 for s in sessions.values() if s["families"])
        took = result["wallSeconds"]
        line = f"OpenClaw {version}: {len(sessions)} sessions ({positives} positive) in {took} s"
        if not args.no_write:
            target = write_fixture(args.out, rec, labels)
            line += f" → {target} ({size_of(target) / 1e6:.2f} MB)"
        print(line)
    if not args.no_write and not args.only and not args.live:
        print(f"index: {write_index(args.out)}")
    print(f"done in {time.monotonic() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

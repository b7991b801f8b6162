"""The labelled corpora the detection benchmarks run on, read through clawscope's store.

* the committed recordings of the real OpenClaw: `tests/fixtures/detect/openclaw-<version>/`
  (`state/` + `labels.json`, format in tests/fixtures/detect/README.md);
* a `clawscope demo` state dir, whose generator writes labels for the failures it plants
  (`demo-totals.json` → `labels`; every other demo session is clean, a negative for every family).

`ingest_corpus` ingests a corpus into a clawscope store (SQLite file by URL) with `clawscope.ingest`;
`sessions` then yields each session's key, agent and transcript records through the store's public
methods, which is all the baselines and the detectors' benchmark need.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from clawscope.demo import generate
from clawscope.ingest import ingest
from clawscope.store import Store

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "detect"
HELDOUT = ROOT / "tests" / "fixtures" / "detect-heldout"  # recorded the same way, never tuned on
LOOP_TURNS = ROOT / "tests" / "fixtures" / "detect-loop-turns"  # recorded later, part of the tuning corpus
LABELS_FORMAT = "clawscope-detect-labels/1"


@dataclass
class Corpus:
    name: str
    state_dirs: list[Path]
    labels: dict[str, dict[str, set[str]]]  # session id → family → labelled entry ids
    complete: bool = True  # False: sessions without a label are clean (the demo labels only failures)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)  # session id → scenario, notes…


@dataclass
class SessionView:
    session_id: str
    key: str | None
    agent: str | None
    entries: list[dict[str, Any]]


def load_labels(path: Path) -> tuple[dict[str, dict[str, set[str]]], dict[str, dict[str, Any]]]:
    """(labels, per-session metadata) of a labels file; refuses another format."""
    data = json.loads(path.read_text())
    if data.get("format") != LABELS_FORMAT:
        raise ValueError(f"{path}: not a {LABELS_FORMAT} file (format {data.get('format')!r})")
    labels = {sid: {f: set(ids) for f, ids in s["entries"].items()} for sid, s in data["sessions"].items()}
    for sid, s in data["sessions"].items():
        for fam in s["families"]:
            labels[sid].setdefault(fam, set())
    return labels, dict(data["sessions"])


def committed(root: Path = FIXTURES, prefix: str = "") -> list[Corpus]:
    """Every committed recording under `root`, oldest release first (named `prefix` + folder name)."""
    out = []
    for folder in sorted(root.glob("openclaw-*")):
        labels, meta = load_labels(folder / "labels.json")
        out.append(Corpus(prefix + folder.name, [folder / "state"], labels, True, meta))
    return out


def tuning() -> list[Corpus]:
    """The tuning corpus: the main recordings and the loop-across-turns set recorded after them."""
    return [*committed(), *committed(LOOP_TURNS, "loop-turns-")]


def heldout() -> list[Corpus]:
    """The held-out recordings (tests/fixtures/detect-heldout/), scored apart from the tuning corpus."""
    return committed(HELDOUT, "heldout-")


def demo(
    out_dir: Path, *, sessions: int = 400, agents: int = 3, era: str = "sqlite", seed: int = 7
) -> Corpus:
    """Generate a demo state dir and read the labels its generator wrote."""
    generate(out_dir, sessions=sessions, agents=agents, era=era, seed=seed)
    data = json.loads((out_dir / "demo-totals.json").read_text())["labels"]
    labels = {sid: {f: set(ids) for f, ids in s["entries"].items()} for sid, s in data["sessions"].items()}
    return Corpus(f"demo-{era}-{sessions}", [out_dir], labels, False, dict(data["sessions"]))


def ingest_corpus(corpus: Corpus, db_url: str) -> Store:
    """Ingest the corpus into the store at `db_url`; for a corpus whose labels list only its failures,
    every other ingested session becomes a labelled negative."""
    store = Store(db_url)
    ingest(store, corpus.state_dirs, instance=corpus.name, estimate=False)
    stored = store.sessions_with_entries()
    if corpus.complete:
        missing = set(corpus.labels) - stored
        if missing:
            raise ValueError(
                f"{corpus.name}: labelled sessions the store does not have: {sorted(missing)[:5]}"
            )
    else:
        for sid in stored:
            corpus.labels.setdefault(sid, {})
    return store


def sessions(store: Store, session_ids: list[str]) -> Iterator[SessionView]:
    """Each session's key, agent and transcript records (decoded), in the order given."""
    infos = {v.session.session_id: v.session for v in store.detection.views(session_ids)}
    for sid in session_ids:
        info = infos.get(sid)
        key, agent = (info.key, info.agent) if info else (None, None)
        entries = [orjson.loads(raw) for _, raw in store.transcripts.records(sid)]
        yield SessionView(sid, key, agent, [e for e in entries if isinstance(e, dict)])

"""The labelled corpus (both eras) and the real samples, ingested into a real SQLite store once per run and
read back as `SessionView`s through the store (`store.detection`), for every family's tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from clawscope.dburl import sqlite_url
from clawscope.demo import generate
from clawscope.detect.base import DetectorSettings
from clawscope.detect.runner import detect_view, load_all, selected
from clawscope.ingest import ingest
from clawscope.model.detection import Finding, SessionView
from clawscope.store import Store
from tests.support.env import FIXTURES

CORPUS = FIXTURES / "detect"
# the real samples (../shared/samples, committed as fixtures): clean sessions of both eras
SAMPLES = (FIXTURES / "openclaw-2026.3.24-jsonl", FIXTURES / "openclaw-2026.9.6-sqlite")
RELEASES = ("openclaw-2026.7.35", "openclaw-2026.9.6")


@dataclass
class Corpus:
    release: str
    views: dict[str, SessionView]
    labels: dict[str, dict[str, Any]]

    def sessions(self, name: str) -> list[str]:
        return [sid for sid, lab in self.labels.items() if lab["session"] == name]

    def positives(self, family: str) -> list[str]:
        return sorted(sid for sid, lab in self.labels.items() if family in lab["families"])

    def hard_negatives(self, family: str) -> list[str]:
        return sorted(sid for sid, lab in self.labels.items() if family in lab["hardNegativeFor"])

    def negatives(self, family: str) -> list[str]:
        return sorted(sid for sid, lab in self.labels.items() if family not in lab["families"])


def _views(store: Store) -> dict[str, SessionView]:
    ids = sorted(store.sessions_with_entries())
    return {v.session.session_id: v for v in store.detection.views(ids)}


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Corpus]:
    out = {}
    for release in RELEASES:
        folder = CORPUS / release
        store = Store(sqlite_url(tmp_path_factory.mktemp("detect-corpus") / "corpus.db"))
        ingest(store, [folder / "state"], instance=release, estimate=False)
        labels = json.loads((folder / "labels.json").read_text())["sessions"]
        out[release] = Corpus(release, _views(store), labels)
    return out


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """A `clawscope demo` state dir (400 sessions, SQLite era): its labelled failures are the positives,
    every other session is clean (the generator labels only what it plants)."""
    out = tmp_path_factory.mktemp("detect-demo") / "state"
    generate(out, sessions=400, agents=3, era="sqlite", seed=7)
    store = Store(sqlite_url(out.parent / "demo.db"))
    ingest(store, [out], instance="demo", estimate=False)
    views = _views(store)
    planted = json.loads((out / "demo-totals.json").read_text())["labels"]["sessions"]
    clean = {"families": [], "hardNegativeFor": [], "entries": {}}
    labels = {sid: {"session": sid, **clean, **planted.get(sid, {})} for sid in views}
    assert set(planted) <= set(views)
    return Corpus("demo", views, labels)


@pytest.fixture(scope="session")
def sample_views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SessionView]:
    dirs = [d for d in SAMPLES if d.is_dir()]
    assert dirs == list(SAMPLES), "the real samples are missing from tests/fixtures"
    store = Store(sqlite_url(tmp_path_factory.mktemp("detect-samples") / "samples.db"))
    ingest(store, dirs, instance="samples", estimate=False)
    return _views(store)


Run = Callable[[SessionView], list[Finding]]


def runner(family: str, params: dict[str, Any] | None = None) -> Run:
    """Run only `family`'s registered detectors (defaults, plus `params` for each)."""
    dets = selected(load_all(), [family])
    settings = {d.id: DetectorSettings(params=dict(params or {})) for d in dets.values()} if params else None

    def run(view: SessionView) -> list[Finding]:
        return [f for f in detect_view(view, settings, detectors=dets, strict=True) if f.family == family]

    return run


def check_positives(c: Corpus, family: str, run: Run) -> dict[str, list[Finding]]:
    """Every positive of `family` fires, and every finding cites one of the labelled entries."""
    found = {}
    assert c.positives(family), f"{c.release} has no positives for {family}"
    for sid in c.positives(family):
        fs = run(c.views[sid])
        name = c.labels[sid]["session"]
        assert fs, f"{c.release} {name}: no {family} finding"
        want = set(c.labels[sid]["entries"][family])
        for f in fs:
            assert set(f.entry_ids) & want, f"{name}: {f.detector} cites {f.entry_ids}, labelled {want}"
            assert f.anchor_entry_id in f.entry_ids and f.message and f.evidence
        found[name] = fs
    return found


def check_quiet(c: Corpus, family: str, run: Run, sids: list[str]) -> None:
    assert sids
    loud = {c.labels[s]["session"]: [f.message for f in run(c.views[s])] for s in sids}
    assert {k: v for k, v in loud.items() if v} == {}


def by_scenario(found: dict[str, list[Finding]], name: str) -> Finding:
    """The one finding of scenario session `name`."""
    assert len(found[name]) == 1, [f.message for f in found[name]]
    return found[name][0]

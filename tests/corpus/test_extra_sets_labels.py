"""The recordings beside the main corpus: the held-out set (tests/fixtures/detect-heldout/) and the
loop-across-turns set (tests/fixtures/detect-loop-turns/), each labelled like the corpus.

Every recorded session is labelled, every labelled entry is an entry of its session as clawscope
ingests it, the labels are those the set's scenarios declare, no scenario shares a name with the main
corpus, and the held-out set holds positives and hard negatives of several families.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.conformance.corpus.catalog import all_scenarios, scenarios_for
from tests.conformance.releases import Era

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELDOUT = FIXTURES / "detect-heldout"
SETS = {"heldout": HELDOUT, "loop-turns": FIXTURES / "detect-loop-turns"}
FOLDERS = [(name, f) for name, root in SETS.items() for f in sorted(root.glob("openclaw-*"))]
MAX_BYTES = 3_000_000


def _labels(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "labels.json").read_text())
    return data


@pytest.mark.parametrize("name", SETS)
def test_both_eras_are_recorded_and_small(name: str) -> None:
    assert {_labels(f)["era"] for n, f in FOLDERS if n == name} == {"sqlite", "jsonl"}
    assert sum(p.stat().st_size for p in SETS[name].rglob("*") if p.is_file()) < MAX_BYTES


@pytest.mark.parametrize(("name", "folder"), FOLDERS, ids=[f"{n}-{f.name}" for n, f in FOLDERS])
def test_labels_hold_on_the_recording(name: str, folder: Path, tmp_path: Path) -> None:
    data = _labels(folder)
    era = Era(data["era"])
    specs = {s.name: s for sc in scenarios_for(era, corpus_set=name) for s in sc.sessions}
    tuning = {s.name for sc in all_scenarios(era) for s in sc.sessions}
    assert not set(specs) & tuning
    with Store(f"sqlite:///{tmp_path / 'heldout.db'}") as store:
        report = ingest(store, [folder / "state"], instance="heldout", estimate=False)
        assert report.problems == 0
        assert set(data["sessions"]) == store.sessions_with_entries()
        for sid, s in data["sessions"].items():
            spec = specs[s["session"]]
            assert s["families"] == list(spec.families) and set(s["hardNegativeFor"]) <= set(
                spec.hard_negative_for
            )
            for family, entries in s["entries"].items():
                assert entries and set(entries) <= store.entry_ids(sid), (sid, family)
    assert {s["session"] for s in data["sessions"].values()} == set(specs)
    positives = {f for s in data["sessions"].values() for f in s["families"]}
    hard = {f for s in data["sessions"].values() for f in s["hardNegativeFor"]}
    assert len(positives) >= (5 if name == "heldout" else 1) and len(hard) >= (5 if name == "heldout" else 1)

"""The held-out recordings (tests/fixtures/detect-heldout/): labelled like the corpus, apart from it.

Every recorded session is labelled, every labelled entry is an entry of its session as clawscope
ingests it, the labels are those `corpus/heldout.py` declares, no held-out scenario shares a name with
a tuning one, and each era holds positives and hard negatives of several families.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.conformance.corpus.catalog import all_scenarios, heldout_scenarios
from tests.conformance.releases import Era

HELDOUT = Path(__file__).resolve().parents[1] / "fixtures" / "detect-heldout"
FOLDERS = sorted(HELDOUT.glob("openclaw-*"))
MAX_BYTES = 3_000_000


def _labels(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "labels.json").read_text())
    return data


def test_both_eras_are_recorded_and_small() -> None:
    assert {_labels(f)["era"] for f in FOLDERS} == {"sqlite", "jsonl"}
    assert sum(p.stat().st_size for p in HELDOUT.rglob("*") if p.is_file()) < MAX_BYTES


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_labels_hold_on_the_recording(folder: Path, tmp_path: Path) -> None:
    data = _labels(folder)
    era = Era(data["era"])
    specs = {s.name: s for sc in heldout_scenarios(era) for s in sc.sessions}
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
    assert len(positives) >= 5 and len(hard) >= 5

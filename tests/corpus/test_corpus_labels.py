"""The committed detection corpus (tests/fixtures/detect/): its labels hold on the committed recordings.

Fast checks of the fixtures (the live re-recording is in the conformance tier): every session of a
recorded state dir is labelled, every labelled entry id is an entry of its session as clawscope
ingests it, the labels are those the scenario definitions declare, every family has at least five
positives and five hard negatives, and the fixtures stay small and free of what was trimmed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.conformance.corpus.catalog import all_scenarios
from tests.conformance.corpus.spec import FAMILIES
from tests.conformance.releases import Era, release

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "detect"
CORPORA = sorted(FIXTURES.glob("openclaw-*"))
MAX_BYTES = 10_000_000  # all fixtures together, on disk (about 1.2 MB compressed in git)


def labels_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "labels.json").read_text())
    return data


@pytest.fixture(scope="module", params=CORPORA, ids=[c.name for c in CORPORA])
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, ...]]:
    folder: Path = request.param
    db = tmp_path_factory.mktemp(folder.name) / "corpus.db"
    with Store(f"sqlite:///{db}") as store:
        report = ingest(store, [folder / "state"], instance="corpus", estimate=False)
        yield folder, labels_of(folder), store, report


def test_both_eras_are_committed() -> None:
    eras = {labels_of(c)["era"] for c in CORPORA}
    assert eras == {"sqlite", "jsonl"}
    for c in CORPORA:
        data = labels_of(c)
        assert c.name == f"openclaw-{data['release']}"
        assert data["format"] == "clawscope-detect-labels/1"
        assert data["families"] == list(FAMILIES)
        assert release(data["release"]).era.value == data["era"]


def test_every_session_is_labelled(corpus: tuple[Any, ...]) -> None:
    _, labels, store, report = corpus
    assert report.problems == 0
    assert set(labels["sessions"]) == store.sessions_with_entries()


def test_labelled_entries_exist_in_their_sessions(corpus: tuple[Any, ...]) -> None:
    _, labels, store, _ = corpus
    for sid, s in labels["sessions"].items():
        assert sorted(s["entries"]) == s["families"], sid
        ids = store.entry_ids(sid)
        for family, entries in s["entries"].items():
            assert entries, f"{sid} {family}: no evidence"
            assert set(entries) <= ids, f"{sid} {family}: {sorted(set(entries) - ids)} are not its entries"


def test_labels_are_the_scenario_definitions(corpus: tuple[Any, ...]) -> None:
    _, labels, _, _ = corpus
    era = Era(labels["era"])
    specs = {s.name: s for sc in all_scenarios(era) for s in sc.sessions}
    recorded: dict[str, set[str]] = {}
    for sid, s in labels["sessions"].items():
        spec = specs.get(s["session"])
        assert spec is not None, (
            f"{sid}: session {s['session']!r} is no longer defined; regenerate the corpus"
        )
        assert set(s["families"]) <= set(spec.families), sid
        assert set(s["hardNegativeFor"]) <= set(spec.hard_negative_for), sid
        recorded.setdefault(spec.name, set()).update(s["families"])
    assert set(recorded) == set(specs), "scenario sessions defined but not recorded: regenerate the corpus"
    for name, families in recorded.items():  # the families of a scenario session across its recordings
        assert families == set(specs[name].families), name


def counts() -> tuple[Counter[str], Counter[str]]:
    positives: Counter[str] = Counter()
    hard: Counter[str] = Counter()
    for c in CORPORA:
        for s in labels_of(c)["sessions"].values():
            positives.update(s["families"])
            hard.update(set(s["hardNegativeFor"]) - set(s["families"]))
    return positives, hard


def test_every_family_has_five_positives_and_five_hard_negatives() -> None:
    positives, hard = counts()
    for family in FAMILIES:
        assert positives[family] >= 5, (family, positives[family])
        assert hard[family] >= 5, (family, hard[family])


@pytest.mark.parametrize("folder", CORPORA, ids=[c.name for c in CORPORA])
def test_each_era_alone_has_five_of_each(folder: Path) -> None:
    sessions = labels_of(folder)["sessions"].values()
    for family in FAMILIES:
        assert sum(family in s["families"] for s in sessions) >= 5, family
        assert sum(family in s["hardNegativeFor"] for s in sessions) >= 5, family


def test_fixtures_are_small_and_trimmed() -> None:
    files = [p for p in FIXTURES.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < MAX_BYTES
    names = {p.name for p in files}
    assert not {n for n in names if n.endswith((".trajectory.jsonl", ".lock", "-wal", "-shm", ".log"))}
    assert not {
        n for n in names if n in ("device.json", "device-auth.json", "auth-profiles.json", "paired.json")
    }
    assert (FIXTURES / "openclaw-2026.9.6" / "state" / "workspace-support" / "SOUL.md").is_file()

"""The scoring arithmetic of the detection benchmark (bench/scoring.py), on hand-made cases."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


scoring = _load("scoring")

LABELS = {
    "s1": {"loop": {"e1", "e2"}},
    "s2": {"loop": {"e9"}, "hallucination": {"h1"}},
    "s3": {},
    "s4": {},
    "s5": {"loop": {"x1"}},
}


def test_session_level_counts_and_ratios() -> None:
    predictions = {
        "s1": {"loop": {"e2", "zz"}},  # TP, cites a labelled entry
        "s2": {"loop": {"other"}},  # TP, cites nothing labelled; hallucination missed (FN)
        "s3": {"loop": set()},  # FP
        "s9": {"loop": {"q"}},  # no label: not scored
    }
    table = scoring.score(predictions, LABELS, ["loop", "hallucination"])
    loop = table.family("loop")
    assert (loop.tp, loop.fp, loop.fn, loop.tn) == (2, 1, 1, 1)
    assert loop.precision == pytest.approx(2 / 3)
    assert loop.recall == pytest.approx(2 / 3)
    assert loop.f1 == pytest.approx(2 / 3)
    assert loop.entry_hit_rate == pytest.approx(1 / 2)
    assert (loop.positives, loop.negatives) == (3, 2)
    hal = table.family("hallucination")
    assert (hal.tp, hal.fp, hal.fn, hal.tn) == (0, 0, 1, 4)
    assert hal.precision is None and hal.recall == 0.0 and hal.f1 is None
    assert hal.entry_hit_rate is None
    assert table.sessions == 5
    assert table.unlabelled == {"s9"}


def test_perfect_and_empty_predictions() -> None:
    perfect = {sid: {f: set(ids) for f, ids in fams.items()} for sid, fams in LABELS.items()}
    t = scoring.score(perfect, LABELS, ["loop", "hallucination"])
    for name in ("loop", "hallucination"):
        f = t.family(name)
        assert (f.precision, f.recall, f.f1, f.entry_hit_rate) == (1.0, 1.0, 1.0, 1.0)
    none = scoring.score({}, LABELS, ["loop"]).family("loop")
    assert (none.tp, none.fp, none.fn, none.tn) == (0, 0, 3, 2)
    assert none.precision is None and none.recall == 0.0


def test_individual_findings_count_one_by_one() -> None:
    predictions = {"s1": {"loop": {"e1", "nope"}}}
    findings = [
        ("s1", "loop", {"e1"}),
        ("s1", "loop", {"nope"}),
        ("s1", "loop", {"e2"}),
        ("s3", "loop", {"a"}),
    ]
    f = scoring.score(predictions, LABELS, ["loop"], findings=findings).family("loop")
    assert (f.tp_findings, f.hit_findings) == (3, 2)  # the finding on the negative s3 is no TP finding
    assert f.entry_hit_rate == pytest.approx(2 / 3)


def test_f1_is_zero_when_nothing_is_right() -> None:
    f = scoring.score({"s3": {"loop": {"a"}}}, LABELS, ["loop"]).family("loop")
    assert (f.precision, f.recall, f.f1) == (0.0, 0.0, 0.0)


def test_merge_adds_counts_and_format_prints_every_family() -> None:
    a = scoring.score({"s1": {"loop": {"e1"}}}, LABELS, ["loop"])
    b = scoring.score({"s3": {"loop": set()}}, LABELS, ["loop"])
    m = scoring.merge(a, b).family("loop")
    assert (m.tp, m.fp, m.fn, m.tn) == (1, 1, 5, 3)
    text = scoring.format_table(scoring.score({}, LABELS), "corpus")
    assert all(f"| {fam} |" in text for fam in scoring.FAMILIES)
    assert "(5 sessions)" in text

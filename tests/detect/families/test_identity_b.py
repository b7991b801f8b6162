"""What every finding of this branch's families must be, on every corpus session: deterministic, one
finding per detector and anchor (the anchor is part of its identity), citing entries of its session."""

from __future__ import annotations

import pytest

from clawscope.detect.base import REGISTRY
from clawscope.detect.runner import load_all
from tests.detect.families.corpus_views import ERAS, all_views

FAMILIES = ("channel_mismatch", "coordination_failure", "persona_drift", "hallucination", "prompt_injection")


@pytest.mark.parametrize("era", ERAS)
def test_findings_are_stable_unique_and_cite_their_session(era: str) -> None:
    load_all()
    detectors = [d for d in REGISTRY.values() if d.family in FAMILIES]
    total = 0
    for view, _ in all_views(era):
        ids = {e.entry_id for e in view.entries}
        for d in detectors:
            first = list(d.detect(view, {}))
            assert first == list(d.detect(view, {}))  # pure: the same view gives the same findings
            anchors = [f.anchor_entry_id for f in first]
            assert len(anchors) == len(set(anchors)), d.id
            for f in first:
                assert f.family == d.family and f.detector == d.id and f.session_id == view.session.session_id
                assert f.anchor_entry_id in f.entry_ids and set(f.entry_ids) <= ids
                assert 0 < f.confidence <= 1 and f.message and "\n" not in f.message
            total += len(first)
    assert total >= 20

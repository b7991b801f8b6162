"""The five families of this module set stay quiet on the real OpenClaw samples (tests/fixtures copies of
../shared/samples: clean sessions of both storage eras), read through the store like the runner does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clawscope.detect.base import REGISTRY
from clawscope.detect.runner import load_all
from clawscope.ingest import ingest
from clawscope.store import Store

FAMILIES = ("channel_mismatch", "coordination_failure", "persona_drift", "hallucination", "prompt_injection")


@pytest.mark.parametrize("sample", ["openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite"])
def test_no_findings_on_clean_samples(
    sample: str, fixture_copy: Callable[[str], Path], sqlite_url: str
) -> None:
    load_all()
    detectors = [d for d in REGISTRY.values() if d.family in FAMILIES]
    assert {d.family for d in detectors} == set(FAMILIES)
    with Store(sqlite_url) as store:
        ingest(store, [fixture_copy(sample)], instance="sample", estimate=False)
        views = list(store.detection.views(store.detection.session_ids()))
    assert views and any(v.entries for v in views)
    found = [(d.id, f.message) for v in views for d in detectors for f in d.detect(v, dict(d.defaults))]
    assert found == []

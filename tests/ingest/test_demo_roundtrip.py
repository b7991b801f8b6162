"""Ingest of a demo state equals the generator's own totals, in both eras, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope import analytics
from clawscope.demo import generate
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store

FIELDS = [
    "sessions",
    "messages",
    "llmCalls",
    "errors",
    "toolCalls",
    "toolErrors",
    "tokensIn",
    "tokensOut",
    "cacheRead",
    "cacheWrite",
]


def same(ours: dict, theirs: dict, what: str) -> None:
    for field in FIELDS:
        assert ours[field] == theirs[field], f"{what}: {field}"
    assert ours["costUSD"] == pytest.approx(theirs["costUSD"], rel=1e-9, abs=1e-9), f"{what}: costUSD"


@pytest.mark.parametrize("era", ["jsonl", "sqlite"])
def test_ingest_equals_the_generators_totals(era: str, tmp_path: Path, db_url: str) -> None:
    state = tmp_path / "demo"
    expected = generate(state, sessions=60, agents=3, era=era, seed=5).as_dict()
    with Store(db_url) as store:
        report = ingest(store, [state], instance="demo", estimate=False)
        stats = {
            by: analytics.stats(store, Filters(), by) for by in ("model", "agent", "trigger", "kind", "tool")
        }
        again = ingest(store, [state], instance="demo", estimate=False)
    assert report.problems == 0
    assert again.entries == 0
    totals = stats["model"]["totals"]
    same(totals, expected, "totals")
    groups = {by: {g["key"]: g for g in s["groups"]} for by, s in stats.items()}
    by_model = {f"{g['provider']}/{g['key']}": g for g in stats["model"]["groups"]}
    assert set(by_model) == set(expected["byModel"])
    for key, want in expected["byModel"].items():
        same(by_model[key], want, f"model {key}")
    for dim, theirs in (("agent", "byAgent"), ("trigger", "byTrigger")):
        assert set(groups[dim]) == set(expected[theirs]), dim
        for key, want in expected[theirs].items():
            same(groups[dim][key], want, f"{dim} {key}")
    kinds = {("other" if k == "unknown" else k): v for k, v in expected["bySessionKind"].items()}
    assert set(groups["kind"]) == set(kinds)
    for key, want in kinds.items():
        same(groups["kind"][key], want, f"kind {key}")
    assert {k: (g["toolCalls"], g["toolErrors"]) for k, g in groups["tool"].items()} == {
        k: (v["calls"], v["errors"]) for k, v in expected["byTool"].items()
    }

"""`spawn_depth` on the labelled recordings (both eras), the real samples and hand-built chains."""

from __future__ import annotations

import pytest

from clawscope.model.detection import EntryView, SessionInfo, SessionView
from tests.detect.families.conftest import RELEASES, Corpus, by_scenario, check_positives, check_quiet, runner

run = runner("spawn_depth")


@pytest.mark.parametrize("release", RELEASES)
def test_fires_on_every_positive_citing_the_labelled_entries(
    corpora: dict[str, Corpus], release: str
) -> None:
    found = check_positives(corpora[release], "spawn_depth", run)
    for chain in ("chain-3", "chain-4", "chain-4-across-agents", "chain-5"):
        depth = int(chain[6])
        for level in range(3, depth + 1):
            f = by_scenario(found, f"spawn_depth/{chain}/level-{level}")
            assert (f.detector, f.evidence["depth"]) == ("spawn_depth.deep-chain", level)
            assert len(f.evidence["chain"]) == level + 1  # the root and every sub-agent down to this one
    across = by_scenario(found, "spawn_depth/chain-4-across-agents/level-4")
    assert {"main", "ops"} <= set(across.evidence["agents"])  # one chain spans two agents' stores
    same = by_scenario(found, "spawn_depth/circular-same-agent/first")
    assert (same.detector, same.evidence["how"]) == ("spawn_depth.circular", "re-delegated to its own agent")
    back = by_scenario(found, "spawn_depth/circular-cross-agent/ops")
    assert back.evidence["how"] == "bounced back to the requesting agent"
    assert (back.evidence["agent"], back.evidence["targetAgent"]) == ("ops", "main")


@pytest.mark.parametrize("release", RELEASES)
def test_quiet_on_hard_negatives_and_every_other_session(corpora: dict[str, Corpus], release: str) -> None:
    c = corpora[release]
    # depth 1 and 2, fan-out, cross-agent depth 1, the roots and upper levels of deep chains, the
    # child that inherits its requester's tool policy
    check_quiet(c, "spawn_depth", run, c.hard_negatives("spawn_depth"))
    check_quiet(c, "spawn_depth", run, c.negatives("spawn_depth"))


def test_quiet_on_the_real_samples(sample_views: dict[str, SessionView]) -> None:
    assert any(v.session.key and ":subagent:" in v.session.key for v in sample_views.values())
    assert [f.message for v in sample_views.values() for f in run(v)] == []


def _child(
    depth: int | None, text: str, elevated: str | None = None, parent_elevated: str | None = None
) -> SessionView:
    parent = SessionInfo("p", "i", agent="main", key="agent:main:main", elevated_level=parent_elevated)
    info = SessionInfo(
        "c", "i", agent="main", key="agent:main:subagent:x", parent_key="agent:main:main",
        spawn_depth=depth, elevated_level=elevated,
    )  # fmt: skip
    return SessionView(info, (EntryView("u", 0, "message", "user", 1, text, {}),), ancestors=(parent,))


def test_depth_from_the_preamble_when_the_store_has_none_and_max_depth_is_a_param() -> None:
    v = _child(None, "[Subagent Context] You are running as a subagent (depth 3/5).\n\n[Subagent Task]\n\nx")
    assert [f.evidence["depth"] for f in run(v)] == [3]
    assert runner("spawn_depth", {"max_depth": 3})(v) == []


def test_a_child_more_elevated_than_its_requester() -> None:
    assert [f.detector for f in run(_child(1, "task", elevated="full"))] == ["spawn_depth.privilege"]
    assert run(_child(1, "task", elevated="full", parent_elevated="full")) == []
    assert run(_child(1, "task")) == []


def test_the_demo_its_planted_failures_found_and_its_clean_sessions_quiet(demo: Corpus) -> None:
    check_positives(demo, "spawn_depth", run)
    check_quiet(demo, "spawn_depth", run, demo.negatives("spawn_depth"))

"""`context_overflow` on the labelled recordings (both eras), the real samples and hand-built views."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.model.detection import (
    CompactionView,
    EntryView,
    FindingSeverity,
    ModelCallView,
    SessionInfo,
    SessionView,
)
from tests.detect.families.conftest import RELEASES, Corpus, check_positives, check_quiet, runner


@pytest.mark.parametrize("release", RELEASES)
def test_fires_on_every_positive_citing_the_labelled_entries(
    corpora: dict[str, Corpus], release: str
) -> None:
    c = corpora[release]
    run = runner("context_overflow")  # the view carries the windows of the instance's model catalog
    found = check_positives(c, "context_overflow", run)
    detectors = {name: {f.detector for f in fs} for name, fs in found.items()}
    assert "context_overflow.near-window" in detectors["context/near-window"]
    assert "context_overflow.context-errors" in detectors["context/provider-context-error"]
    assert "context_overflow.compaction-storm" in detectors["context/compaction-storm"]
    near = next(f for f in found["context/near-window"] if f.detector == "context_overflow.near-window")
    assert near.evidence["window"] == 32000 and near.evidence["share"] >= 0.75
    # the same prompt size on the 128k-token model is no overflow (a hard negative)
    big = c.views[c.sessions("context-neg/big-prompt-big-window")[0]]
    assert big.session.context_window == 128000 and run(big) == []


def _unknown_window(v: SessionView) -> SessionView:
    info = msgspec.structs.replace(v.session, context_window=None, model="local-model")
    calls = tuple(msgspec.structs.replace(m, model="local-model") for m in v.model_calls)
    return msgspec.structs.replace(v, session=info, model_calls=calls, context_windows={})


@pytest.mark.parametrize("release", RELEASES)
def test_without_a_known_window_the_traces_openclaw_leaves_still_show_it(
    corpora: dict[str, Corpus], release: str
) -> None:
    c = corpora[release]
    run = runner("context_overflow")
    positives = {c.labels[s]["session"]: _unknown_window(c.views[s]) for s in c.positives("context_overflow")}
    missed = sorted(name for name, v in positives.items() if not run(v))
    # 2026.7.35 leaves nothing but the prompt size for one prompt at 77 % of a 32k window
    assert missed == {"openclaw-2026.7.35": ["context/near-window"], "openclaw-2026.9.6": []}[release]
    assert [run(_unknown_window(c.views[s])) for s in c.hard_negatives("context_overflow")] == [[]] * len(
        c.hard_negatives("context_overflow")
    )


@pytest.mark.parametrize("release", RELEASES)
def test_quiet_on_hard_negatives_and_every_other_session(corpora: dict[str, Corpus], release: str) -> None:
    c = corpora[release]
    run = runner("context_overflow")
    # the same 65k-character log on a 128k model, a long healthy chat, many small calls, half a window
    check_quiet(c, "context_overflow", run, c.hard_negatives("context_overflow"))
    check_quiet(c, "context_overflow", run, c.negatives("context_overflow"))


def test_quiet_on_the_real_samples(sample_views: dict[str, SessionView]) -> None:
    run = runner("context_overflow")
    assert [f.message for v in sample_views.values() for f in run(v)] == []


def _view(prompts: list[int], model: str = "claude-sonnet-4", compactions: int = 0) -> SessionView:
    entries, calls = [], []
    for i, p in enumerate(prompts):
        entries += [
            EntryView(f"u{i}", 3 * i, "message", "user", i, "next part", {}),
            EntryView(
                f"a{i}", 3 * i + 1, "message", "assistant", i, "ok", {"message": {"stopReason": "stop"}}
            ),
        ]
        calls.append(ModelCallView(f"a{i}", i, "anthropic", model, "stop", None, p, 0, 0, 10))
        if i < compactions:
            entries.append(EntryView(f"k{i}", 3 * i + 2, "compaction", None, i, "", {}))
    comps = tuple(CompactionView(f"k{i}", i, 150_000) for i in range(compactions))
    return SessionView(SessionInfo("s", "i", model=model), tuple(entries), (), tuple(calls), comps)


def test_public_model_windows_by_default_and_growth() -> None:
    run = runner("context_overflow")
    near = run(_view([20_000, 160_000]))
    assert [(f.detector, f.evidence["window"]) for f in near] == [("context_overflow.near-window", 200_000)]
    grow = run(_view([40_000, 60_000, 80_000, 100_000, 125_000]))
    assert [f.detector for f in grow] == ["context_overflow.growth"] and grow[0].evidence["turns"] == 5
    assert run(_view([40_000, 60_000, 80_000, 100_000])) == []  # half the window: not yet


def test_over_the_window_is_critical_and_storms_are_counted_within_turns() -> None:
    run = runner("context_overflow", {"context_windows": {"tiny-model": 8_000}})
    over = [
        f for f in run(_view([9_000], model="tiny-model")) if f.detector == "context_overflow.near-window"
    ]
    assert over[0].severity == FindingSeverity.CRITICAL
    storm = [f for f in run(_view([1_000] * 3, compactions=3)) if f.detector.endswith("storm")]
    assert storm and storm[0].evidence["compactions"] == 3


def test_the_demo_its_planted_failures_found_and_its_clean_sessions_quiet(demo: Corpus) -> None:
    check_positives(demo, "context_overflow", runner("context_overflow"))
    check_quiet(demo, "context_overflow", runner("context_overflow"), demo.negatives("context_overflow"))


def test_context_errors_of_several_providers_but_not_quota_or_auth_errors() -> None:
    run = runner("context_overflow")

    def failing(message: str) -> SessionView:
        rec = {"message": {"stopReason": "error", "errorMessage": message}}
        e = EntryView("a", 1, "message", "assistant", 1, "", rec)
        return SessionView(SessionInfo("s", "i"), (EntryView("u", 0, "message", "user", 0, "hi", {}), e))

    for msg in (
        "prompt is too long: 210000 tokens > 200000 maximum",
        "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000",
        "This model's maximum context length is 32000 tokens.",
    ):
        assert [f.detector for f in run(failing(msg))] == ["context_overflow.context-errors"], msg
    for msg in ("429 You exceeded your current quota", "401 invalid x-api-key", "fetch failed"):
        assert run(failing(msg)) == [], msg

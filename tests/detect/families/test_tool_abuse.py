"""`tool_abuse` on the labelled recordings (both eras), the real samples and hand-built views."""

from __future__ import annotations

import pytest

from clawscope.model.detection import EntryView, SessionInfo, SessionView, ToolUse
from tests.detect.families.conftest import RELEASES, Corpus, by_scenario, check_positives, check_quiet, runner

run = runner("tool_abuse")


@pytest.mark.parametrize("release", RELEASES)
def test_fires_on_every_positive_citing_the_labelled_entries(
    corpora: dict[str, Corpus], release: str
) -> None:
    found = check_positives(corpora[release], "tool_abuse", run)
    forty = by_scenario(found, "tool_abuse/forty-calls-in-one-turn")
    assert (forty.detector, forty.evidence["scope"], forty.evidence["calls"]) == (
        "tool_abuse.excessive-calls",
        "message",
        40,
    )
    greps = by_scenario(found, "tool_abuse/thirty-six-calls-in-a-session")
    assert (greps.evidence["scope"], greps.evidence["calls"]) == ("turn", 36)
    red = by_scenario(found, "tool_abuse/redundant-ignored-arguments")
    assert red.detector == "tool_abuse.redundant-calls"
    assert red.evidence["changedArguments"] == ["timeoutSeconds", "title", "yieldMs"]
    assert red.evidence["arguments"] == {"command": "df -h /"} and red.evidence["calls"] == 4
    streak = by_scenario(found, "tool_abuse/consecutive-errors")
    assert streak.detector == "tool_abuse.error-rate" and streak.evidence["consecutive"] == 6
    rate = by_scenario(found, "tool_abuse/high-error-rate")
    assert (rate.evidence["failed"], rate.evidence["calls"]) == (7, 8)
    sens = by_scenario(found, "tool_abuse/sensitive-tools")
    assert sens.detector == "tool_abuse.sensitive-tools"
    if release.endswith("9.6"):  # 2026.9.6 wraps gateway and secrets in tool_call: unwrapped here
        assert [u["tool"] for u in sens.evidence["uses"]] == ["gateway", "secrets"]
    else:  # 2026.7.35 offers neither: another chat's history is the sensitive use
        assert sens.evidence["uses"][0]["tool"] == "sessions_history"


@pytest.mark.parametrize("release", RELEASES)
def test_quiet_on_hard_negatives_and_every_other_session(corpora: dict[str, Corpus], release: str) -> None:
    c = corpora[release]
    check_quiet(c, "tool_abuse", run, c.hard_negatives("tool_abuse"))
    check_quiet(c, "tool_abuse", run, c.negatives("tool_abuse"))


@pytest.mark.parametrize("release", RELEASES)
def test_identical_repetition_is_loop_only(corpora: dict[str, Corpus], release: str) -> None:
    c = corpora[release]
    for name in ("loop/identical-exec", "loop/identical-failing-read", "loop/three-step-cycle"):
        assert [run(c.views[s]) for s in c.sessions(name)] == [[]]


def test_quiet_on_the_real_samples(sample_views: dict[str, SessionView]) -> None:
    assert [f.message for v in sample_views.values() for f in run(v)] == []


def _view(calls: list[tuple[str, dict[str, object], str, int | None]]) -> SessionView:
    entries = [EntryView("u", 0, "message", "user", 1, "go", {})]
    tools = []
    for i, (name, args, status, code) in enumerate(calls):
        entries.append(EntryView(f"c{i}", i + 1, "message", "assistant", 2 + i, "", {}))
        tools.append(ToolUse(f"id{i}", f"c{i}", None, 2 + i, name, dict(args), status, exit_code=code))
    return SessionView(SessionInfo("s", "i", key="agent:main:main"), tuple(entries), tuple(tools))


def test_a_non_zero_exit_counts_as_a_failure_even_when_is_error_is_false() -> None:
    # 2026.9.6: a non-zero exit is isError:false (status ok here) with the exit code in details
    calls = [("exec", {"command": f"tool{i} --check"}, "ok", 1) for i in range(5)]
    found = run(_view(calls))
    assert [f.evidence["consecutive"] for f in found] == [5]
    assert run(_view(calls[:4])) == []  # four in a row is below the default threshold


def test_thresholds_are_params() -> None:
    calls = [("read", {"path": f"f{i}.txt"}, "ok", None) for i in range(12)]
    assert run(_view(calls)) == []
    tight = runner(
        "tool_abuse", {"max_calls_per_message": 50, "max_calls_per_turn": 10, "max_calls_per_session": 99}
    )
    assert [f.evidence["scope"] for f in tight(_view(calls))] == ["turn"]


def test_reading_ones_own_child_history_is_not_sensitive() -> None:
    child = SessionInfo("c", "i", key="agent:main:subagent:1", parent_key="agent:main:main")
    v = _view([("sessions_history", {"sessionKey": "agent:main:subagent:1"}, "ok", None)])
    v = SessionView(v.session, v.entries, v.tools, children=(child,))
    assert run(v) == []
    other = _view([("sessions_history", {"sessionKey": "agent:main:telegram:group:-100"}, "ok", None)])
    assert [f.detector for f in run(other)] == ["tool_abuse.sensitive-tools"]


def test_the_demo_its_planted_failures_found_and_its_clean_sessions_quiet(demo: Corpus) -> None:
    check_positives(demo, "tool_abuse", run)
    check_quiet(demo, "tool_abuse", run, demo.negatives("tool_abuse"))

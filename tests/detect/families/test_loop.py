"""`loop` on the labelled recordings of the real OpenClaw (both eras), the real samples, hand-built views."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clawscope.dburl import sqlite_url
from clawscope.ingest import ingest
from clawscope.model.detection import EntryView, SessionInfo, SessionView, ToolUse
from clawscope.store import Store
from tests.detect.families.conftest import (
    CORPUS,
    RELEASES,
    Corpus,
    _views,
    by_scenario,
    check_positives,
    check_quiet,
    runner,
)

run = runner("loop")


@pytest.mark.parametrize("release", RELEASES)
def test_fires_on_every_positive_citing_the_labelled_entries(
    corpora: dict[str, Corpus], release: str
) -> None:
    found = check_positives(corpora[release], "loop", run)
    exec5 = by_scenario(found, "loop/identical-exec")
    assert exec5.detector == "loop.repeated-call"
    assert exec5.evidence["pattern"] == "the same call repeated" and exec5.evidence["repeats"] == 5
    assert exec5.evidence["repeated"] == [
        {"tool": "exec", "arguments": {"command": "ls -la /tmp/clawscope-corpus/build-cache"}}
    ]
    assert len(exec5.entry_ids) == 10  # five calls and their five results
    read4 = by_scenario(found, "loop/identical-failing-read")
    assert (read4.evidence["repeats"], read4.evidence["failed"]) == (4, 4)
    assert by_scenario(found, "loop/ab-alternation").evidence["pattern"] == "A-B alternation"
    assert by_scenario(found, "loop/three-step-cycle").evidence["pattern"] == "a 3-step cycle"
    reply = by_scenario(found, "loop/same-message-every-turn")
    assert reply.detector == "loop.repeated-reply" and reply.evidence["turns"] == 4
    ping = by_scenario(found, "loop/spawn-ping-pong")
    assert ping.detector == "loop.spawn-repeat" and ping.evidence["spawns"] == 3


@pytest.mark.parametrize("release", RELEASES)
def test_quiet_on_hard_negatives_and_every_other_session(corpora: dict[str, Corpus], release: str) -> None:
    c = corpora[release]
    check_quiet(c, "loop", run, c.hard_negatives("loop"))
    check_quiet(c, "loop", run, c.negatives("loop"))


def test_quiet_on_the_real_samples(sample_views: dict[str, SessionView]) -> None:
    assert sample_views
    assert [f.message for v in sample_views.values() for f in run(v)] == []


def _view(*calls: tuple[str, dict[str, Any], str]) -> SessionView:
    entries = [EntryView("u", 0, "message", "user", 1, "go", {})]
    tools = []
    for i, (name, args, out) in enumerate(calls):
        entries += [
            EntryView(f"c{i}", 2 * i + 1, "message", "assistant", 2 + i, "", {}),
            EntryView(f"r{i}", 2 * i + 2, "message", "toolResult", 2 + i, out, {}),
        ]
        tools.append(ToolUse(f"id{i}", f"c{i}", f"r{i}", 2 + i, name, dict(args), "ok", output_text=out))
    return SessionView(SessionInfo("s", "i"), tuple(entries), tuple(tools))


def test_argument_order_does_not_hide_a_repeat_but_a_write_in_between_is_progress() -> None:
    a = {"command": "make test", "workdir": "app"}
    b = {"workdir": "app", "command": " make test "}
    assert len(run(_view(("exec", a, "FAIL"), ("exec", b, "FAIL"), ("exec", a, "FAIL")))) == 1
    edit = ("write", {"path": "app/x.py", "content": "x"}, "ok")
    assert run(_view(("exec", a, "FAIL"), ("exec", a, "FAIL"), edit, ("exec", a, "FAIL"))) == []


def test_two_repeats_or_a_changing_answer_are_not_a_loop() -> None:
    poll = {"command": "status"}
    assert run(_view(("exec", poll, "pending"), ("exec", poll, "pending"))) == []
    assert run(_view(("exec", poll, "pending 1"), ("exec", poll, "pending 2"), ("exec", poll, "ready"))) == []


def test_the_demo_its_planted_failures_found_and_its_clean_sessions_quiet(demo: Corpus) -> None:
    check_positives(demo, "loop", run)
    check_quiet(demo, "loop", run, demo.negatives("loop"))


def _chat(*turns: tuple[str, str]) -> SessionView:
    entries = []
    for i, (ask, answer) in enumerate(turns):
        entries += [
            EntryView(f"u{i}", 2 * i, "message", "user", i, ask, {}),
            EntryView(
                f"a{i}", 2 * i + 1, "message", "assistant", i, answer, {"message": {"stopReason": "stop"}}
            ),
        ]
    return SessionView(SessionInfo("s", "i"), tuple(entries))


def test_the_same_answer_to_the_same_question_from_several_people_is_no_loop() -> None:
    answer = "Found one: lentil-mushroom lasagne, 50 minutes, serves 4."
    group = [
        (f"[Mon 2026-08-17 0{i}:00 UTC] {who}: @claw find a vegan lasagne recipe", answer)
        for i, who in enumerate("ABC")
    ]
    assert run(_chat(*group)) == []
    stuck = [
        ("Is the deploy done?", "Still checking the deploy, back shortly."),
        ("Any news?", "Still checking the deploy, back shortly."),
        ("Hello??", "Still checking the deploy, back shortly."),
    ]
    assert [f.evidence["turns"] for f in run(_chat(*stuck))] == [3]


def test_the_same_call_in_separate_user_turns_answers_each_request() -> None:
    v = _view(
        ("exec", {"command": "docker ps"}, "web db"),
        ("exec", {"command": "docker ps"}, "web db"),
        ("exec", {"command": "docker ps"}, "web db"),
    )
    assert len(run(v)) == 1  # one turn: a loop
    entries = []
    for i in range(3):
        entries += [
            EntryView(f"u{i}", 3 * i, "message", "user", 1, f"Gus: are the containers up? ({i})", {}),
            EntryView(f"c{i}", 3 * i + 1, "message", "assistant", 2, "", {}),
            EntryView(f"r{i}", 3 * i + 2, "message", "toolResult", 2, "web db", {}),
        ]
    assert run(SessionView(v.session, tuple(entries), v.tools)) == []


def test_openclaws_own_tool_loop_warning_is_reported() -> None:
    note = "ls: cannot access 'x'\n\n[System note: Tool-loop warning after 5 repeated calls]"
    found = run(
        _view(("exec", {"command": "ls x"}, "ls: cannot access 'x'"), ("exec", {"command": "ls y"}, note))
    )
    assert [(f.detector, f.evidence["repeatedCalls"], f.anchor_entry_id) for f in found] == [
        ("loop.openclaw-warning", 5, "r1")
    ]


STUCK_HARD_NEGATIVES = (
    "loop-neg/heartbeat-polls",
    "loop-neg/status-check-each-turn",
    "loop-neg/retry-after-fix",
)
ACROSS_TURN_POSITIVES = ("loop/heartbeat-poll-stuck", "loop/retry-without-fix", "loop/paging-stuck")
LOOP_TURNS = CORPUS.parent / "detect-loop-turns"


@pytest.fixture(scope="module", params=RELEASES)
def loop_turns(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The loop scenarios across user turns (tests/fixtures/detect-loop-turns/), recorded on their own."""
    folder = LOOP_TURNS / request.param
    store = Store(sqlite_url(tmp_path_factory.mktemp("loop-turns") / "corpus.db"))
    ingest(store, [folder / "state"], instance=request.param, estimate=False)
    labels = json.loads((folder / "labels.json").read_text())["sessions"]
    return Corpus(request.param, _views(store), labels)


def test_hard_negatives_the_stuck_detector_gets_wrong(loop_turns: Corpus) -> None:
    """OpenHands' StuckDetector (bench/baselines.py) ignores user turns and compares actions only: it
    fires on a heartbeat poll or a status check the user asked for in each of four turns, and on a build
    retried after each fix the user made; `loop` does not. On the same calls repeated inside one turn
    (the matching positives), both fire."""
    from tests.corpus.test_scoring import _load

    baselines = _load("baselines")
    c = loop_turns

    def stuck(sid: str) -> bool:
        v = c.views[sid]
        raw = baselines.SessionView(sid, v.session.key, v.session.agent, [e.record for e in v.entries])
        return baselines.stuck_detector(raw) is not None

    for name in STUCK_HARD_NEGATIVES:
        (sid,) = c.sessions(name)
        assert stuck(sid), f"{name}: the baseline should fire here"
        assert run(c.views[sid]) == [], name
    for name in ACROSS_TURN_POSITIVES:
        (sid,) = c.sessions(name)
        assert stuck(sid), name
    check_positives(c, "loop", run)
    check_quiet(c, "loop", run, c.hard_negatives("loop"))
    assert by_scenario(check_positives(c, "loop", run), "loop/retry-without-fix").evidence["failed"] == 4

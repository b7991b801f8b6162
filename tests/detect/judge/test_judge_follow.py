"""The judge after the offline pass of `clawscope ingest` and of `serve`'s live detection, end to end
against the fake OpenAI-compatible judge on loopback (tests/detect/judge/fakejudge.py), on a real
database of both backends: only the sessions the pass touched and the offline tier found uncertain are
asked about; in `serve` in the judge's own thread (the pass returns while the judge is still waiting
for its answer), one pass at a time within the concurrency limit, and never past the spend cap. With no
judge configured, nothing is asked. The fake shows the plumbing, never a model's quality."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clawscope.config import Settings
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.web.state import AppState
from tests.detect.judge.fakejudge import FakeJudge, fake_judge
from tests.detect.judge.test_judge_e2e import PAGE, configure, fetched, say
from tests.support import builders as b
from tests.support.cli import invoke

MARK = "Translate the following"


@pytest.fixture
def openclaw(tmp_path: Path) -> Path:
    """Three sessions whose fetched page carries a plain task request (uncertain offline findings) and
    one that only says hello."""
    sessions = b.state_dir(tmp_path / "openclaw")
    for n in (1, 2, 3):
        turn = [b.user("summarise this page"), *fetched(f"c{n}", PAGE)]
        b.write_session(sessions, f"task-{n}", turn, key=f"agent:main:t{n}")
    b.write_session(sessions, "ok-1", [b.user("hi"), say("Hello!")], key="agent:main:s3")
    return tmp_path / "openclaw"


@pytest.fixture
def judge() -> Any:
    with fake_judge(mark=MARK) as server:
        yield server


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLAWSCOPE_DB", "CLAWSCOPE_CONFIG", "CLAWSCOPE_JUDGE", "OPENCLAW_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def judged_sessions(store: Store) -> list[str]:
    return sorted(
        f.session_id
        for sid in ("task-1", "task-2", "task-3", "ok-1")
        for f in store.findings.of_session(sid)
        if f.detector == "prompt_injection.judge"
    )


def test_ingest_judges_the_uncertain_sessions_it_touched_once(
    runner: CliRunner,
    openclaw: Path,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    judge: FakeJudge,
) -> None:
    configure(tmp_path, monkeypatch, judge)
    out, _ = invoke(runner, "ingest", str(openclaw), "--db", db_url, "--json")
    data = json.loads(out)
    # the three uncertain sessions were asked about (prompt_injection only); the greeting was not
    assert data["judge"]["asked"] == 3 and data["judge"]["found"] == 3 and data["judge"]["fallbacks"] == 0
    asked = [r["body"]["messages"][-1]["content"] for r in judge.requests]
    assert len(asked) == 3 and all(MARK in text for text in asked)
    assert data["judge"]["spendToday"]["outputTokens"] == 60
    with Store(db_url) as store:
        assert judged_sessions(store) == ["task-1", "task-2", "task-3"]
    # nothing changed: the next ingest touches no session, so the judge is not run at all
    again = json.loads(invoke(runner, "ingest", str(openclaw), "--db", db_url, "--json")[0])
    assert "judge" not in again and len(judge.requests) == 3


def test_ingest_without_a_judge_asks_nothing(
    runner: CliRunner, openclaw: Path, sqlite_url: str, judge: FakeJudge
) -> None:
    data = json.loads(invoke(runner, "ingest", str(openclaw), "--db", sqlite_url, "--json")[0])
    assert "judge" not in data and judge.requests == []
    with Store(sqlite_url) as store:
        assert judged_sessions(store) == []
        assert [f.detector for f in store.findings.of_session("task-1")] == ["prompt_injection.tool-content"]


def judge_table(judge: FakeJudge, **extra: Any) -> dict[str, Any]:
    return {
        "base_url": judge.base_url,
        "model": "fake-judge",
        "api_key_env": "TEST_JUDGE_KEY",
        "input_usd_per_mtok": 1.0,
        "output_usd_per_mtok": 2.0,
        "timeout_s": 30,
        **extra,
    }


def serve_state(settings: Settings, store: Store, openclaw: Path, table: dict[str, Any]) -> AppState:
    state = AppState.build(replace(settings, judge=table), store)
    ingest(store, [openclaw], instance="test-host")
    return state


def test_serve_pass_hands_touched_sessions_to_the_judge_thread_and_returns(
    settings: Settings,
    store: Store,
    openclaw: Path,
    judge: FakeJudge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEST_JUDGE_KEY", "sk-test-judge-key")
    judge.mode = "slow"  # every answer waits until the test releases it
    state = serve_state(settings, store, openclaw, judge_table(judge, concurrency=1))
    assert state.detecting is not None and state.detecting.judging is not None
    try:
        state.detecting.run()  # the live pass: offline findings stored, the judge still waiting
        offline = [f.detector for f in store.findings.of_session("task-2")]
        assert offline == ["prompt_injection.tool-content"] and judged_sessions(store) == []
        judge.release.set()
        assert state.detecting.judging.idle(timeout=60)
        assert judged_sessions(store) == ["task-1", "task-2", "task-3"]
        assert judge.max_in_flight == 1  # the concurrency limit held
        assert [r["auth"] for r in judge.requests] == ["Bearer sk-test-judge-key"] * 3
        # a pass that touches nothing hands nothing over
        state.detecting.run()
        assert state.detecting.judging.idle(timeout=60)
        assert len(judge.requests) == 3 and state.detecting.judging.passes == 1
    finally:
        state.detecting.stop()


def test_serve_judge_stops_at_the_spend_cap(
    settings: Settings,
    store: Store,
    openclaw: Path,
    judge: FakeJudge,
) -> None:
    state = serve_state(settings, store, openclaw, judge_table(judge, daily_cap_usd=0.0000001))
    assert state.detecting is not None and state.detecting.judging is not None
    try:
        state.detecting.run()
        assert state.detecting.judging.idle(timeout=60)
    finally:
        state.detecting.stop()
    report = state.detecting.judging.last
    assert report is not None and report.asked == 0 and report.fallbacks == 3
    assert judge.requests == [] and judged_sessions(store) == []
    assert all("daily judge spend cap reached" in n for n in report.notes)


def test_serve_without_a_judge_starts_no_judge_thread(settings: Settings, store: Store) -> None:
    state = AppState.build(settings, store)
    assert state.detecting is not None and state.detecting.judging is None


def test_ingest_hands_an_ungrounded_answer_to_the_judge(
    runner: CliRunner, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The offline `hallucination.ungrounded-answer` is a lexical guess (uncertain): the judge decides."""
    question = "Who directed the film The Hangover?"
    sessions = b.state_dir(tmp_path / "openclaw")
    call = b.assistant(tools=[b.tool_call("c1", "web_search", query=question)])
    result = b.tool_result("c1", "web_search")
    found = "The Hangover is a 2009 comedy film directed by Todd Phillips."
    result["message"]["content"][0]["text"] = json.dumps({"query": question, "results": [{"content": found}]})
    turn = [b.user(question), call, result, say("It was directed by Steven Spielberg.")]
    b.write_session(sessions, "qa-1", turn, key="agent:main:main")
    with fake_judge(mark="Spielberg") as server:
        configure(tmp_path, monkeypatch, server)
        data = json.loads(
            invoke(runner, "ingest", str(tmp_path / "openclaw"), "--db", sqlite_url, "--json")[0]
        )
    assert data["judge"]["asked"] == 1 and data["judge"]["found"] == 1
    (req,) = server.requests
    assert "Spielberg" in req["body"]["messages"][-1]["content"]
    with Store(sqlite_url) as store:
        by = {f.detector: f for f in store.findings.of_session("qa-1")}
    assert set(by) == {"hallucination.ungrounded-answer", "hallucination.judge"}
    assert by["hallucination.ungrounded-answer"].evidence["unsupported"] == ["Steven", "Spielberg"]
    assert by["hallucination.judge"].evidence["tier"] == "judge"

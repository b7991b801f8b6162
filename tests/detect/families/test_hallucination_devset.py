"""`hallucination` on HaluEval QA's development half (tests/fixtures/semantic/SOURCES.md), each record
wrapped as bench/semantic.py wraps it: the user asks, the agent calls `web_search`, whose result is the
record's knowledge, and answers. Hallucinated answers naming what the knowledge does not are found;
the right answers (names the knowledge states, in other words or order) are left alone; a wrong pick
among names the knowledge does state is beyond a lexical rule and is missed (the judge's to decide)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from clawscope.detect.families.hallucination import (
    FailedReadQuoted,
    SuccessAfterError,
    UnbackedNumber,
    UnbackedWork,
)
from clawscope.detect.families.hallucination_grounding import UngroundedAnswer, ungrounded
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionInfo, SessionView, ToolUse

HALUEVAL = Path(__file__).resolve().parents[2] / "fixtures" / "semantic" / "halueval-qa-one-turn.jsonl"
DEV = range(0, 250)  # records 250-499 are held out (bench/semantic.py)
DETECTORS = (SuccessAfterError(), FailedReadQuoted(), UnbackedWork(), UnbackedNumber(), UngroundedAnswer())


@cache
def records() -> list[dict[str, str]]:
    return [json.loads(x) for x in HALUEVAL.read_text().splitlines() if x.strip()]


def qa_view(rec: dict[str, str], answer: str, *, status: str = "ok") -> SessionView:
    output = json.dumps({"query": rec["question"], "results": [{"content": rec["knowledge"]}]})
    rows = [("u1", "user", rec["question"]), ("a1", "assistant", ""), ("r1", "toolResult", output),
            ("a2", "assistant", answer)]  # fmt: skip
    entries = tuple(
        EntryView(i, n, "message", role, 1000 * n, text, {}) for n, (i, role, text) in enumerate(rows)
    )
    args: dict[str, Any] = {"query": rec["question"]}
    t = ToolUse("c1", "a1", "r1", 1000, "web_search", args, status, output_text=output)
    return SessionView(SessionInfo("s1", "test", agent="main", key="agent:main:main"), entries, (t,))


def findings(view: SessionView) -> list[Finding]:
    return [f for d in DETECTORS for f in d.detect(view, {})]


@pytest.mark.parametrize(
    ("n", "unsupported"),
    [
        (18, ["2018"]),  # "New Rules" was released in 2018. (the knowledge: 2017)
        (19, ["California"]),  # Attorney General of California (the knowledge: Nevada)
        (25, ["Spielberg"]),  # Steven Spielberg (the knowledge: Todd Phillips)
        (30, ["Liu"]),  # Lucy Liu (the knowledge: Amy Jo Johnson)
        (39, ["Illinois"]),  # "McClelland … was located in Illinois." (opening word: not taken for a name)
    ],
)
def test_hallucinated_answer_naming_what_the_result_does_not_is_found(n: int, unsupported: list[str]) -> None:
    rec = records()[n]
    (f,) = findings(qa_view(rec, rec["hallucinated_answer"]))
    assert f.detector == "hallucination.ungrounded-answer"
    assert f.anchor_entry_id == "a2" and f.entry_ids == ("a2", "a1", "r1")
    assert f.evidence["unsupported"] == unsupported and f.evidence["tool"] == "web_search"
    # a lexical guess: uncertain, so a configured judge is asked about it
    assert f.evidence["uncertain"] is True and f.confidence < 0.7 and f.severity is FindingSeverity.INFO
    assert f.evidence["tier"] == "offline"


@pytest.mark.parametrize("n", [2, 16, 18, 34, 39])
def test_right_answer_is_left_alone(n: int) -> None:
    # "President Richard Nixon", "Hetfield and Ulrich, longtime lead guitarist Kirk Hammett, …", "2017",
    # "Roseau, Minnesota, USA", "California": every name is in the result, in its own words or order
    rec = records()[n]
    assert findings(qa_view(rec, rec["right_answer"])) == []


@pytest.mark.parametrize("n", [0, 2])
def test_wrong_pick_among_stated_names_is_missed(n: int) -> None:
    # "First for Women was started first." / "Milhouse was named after a famous musician.": every name
    # is in the result; which one is right is a judgement a word match cannot make
    rec = records()[n]
    assert findings(qa_view(rec, rec["hallucinated_answer"])) == []


def test_failed_or_off_topic_lookup_and_long_reply_are_not_judged_here() -> None:
    rec = records()[25]
    assert findings(qa_view(rec, rec["hallucinated_answer"], status="error")) == []
    # a result about something else than the question is not what the answer was given from
    elsewhere = {**rec, "knowledge": "Backups run nightly at 03:00 to the NAS in the basement."}
    assert findings(qa_view(elsewhere, rec["hallucinated_answer"])) == []
    long = rec["hallucinated_answer"] + " " + " ".join(["More detail follows here."] * 20)
    assert list(UngroundedAnswer().detect(qa_view(rec, long), {})) == []
    assert ungrounded("It was Steven Spielberg.", "Directed by Todd Phillips.") == ["Steven", "Spielberg"]


def test_development_half_no_right_answer_flagged_and_most_inventions_found() -> None:
    said = [
        (wrong, bool(findings(qa_view(rec, rec[key]))))
        for rec in (records()[i] for i in DEV)
        for wrong, key in ((False, "right_answer"), (True, "hallucinated_answer"))
    ]
    assert [w for w, s in said if s and not w] == []  # precision 1.00 on the development half
    assert sum(s for w, s in said if w) >= 95  # of 250: 97 when written (bench/semantic.py)

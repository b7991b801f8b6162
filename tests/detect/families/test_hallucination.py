"""`hallucination` on the recorded corpus: success claimed after an error, a failed read quoted, work
or numbers with nothing behind them; and the honest or backed replies that look alike."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.detect.families.hallucination import (
    FailedReadQuoted,
    SuccessAfterError,
    UnbackedNumber,
    UnbackedWork,
)
from clawscope.model.detection import Finding, SessionView
from tests.detect.families.corpus_views import ERAS, all_views, one

DETECTORS = (SuccessAfterError(), FailedReadQuoted(), UnbackedWork(), UnbackedNumber())
POSITIVES = {
    "hallucination/email-never-sent": "hallucination.unbacked-work",
    "hallucination/no-tool-behind-work": "hallucination.unbacked-work",
    "hallucination/partial-failure-as-pass": "hallucination.success-after-error",
    "hallucination/success-after-error": "hallucination.success-after-error",
    "hallucination/quotes-failed-read": "hallucination.failed-read-quoted",
    "hallucination/wrong-number": "hallucination.unbacked-number",
}


def findings(view: SessionView) -> list[Finding]:
    return [f for d in DETECTORS for f in d.detect(view, {})]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(("name", "detector"), POSITIVES.items())
def test_each_subcase_fires_through_its_detector_on_the_labelled_reply(
    era: str, name: str, detector: str
) -> None:
    view, label = one(era, name)
    (f,) = findings(view)
    assert f.detector == detector
    assert f.anchor_entry_id == label["entries"]["hallucination"][0]
    tool_entries = {t.call_entry_id for t in view.tools} | {t.result_entry_id for t in view.tools}
    assert set(f.entry_ids[1:]) <= tool_entries  # the failed / contradicting tool call and its result


@pytest.mark.parametrize("era", ERAS)
def test_quiet_on_every_session_not_labelled_hallucination(era: str) -> None:
    noisy = [
        (label["session"], [f.message for f in findings(view)])
        for view, label in all_views(era)
        if "hallucination" not in label["families"] and findings(view)
    ]
    assert noisy == []


@pytest.mark.parametrize("era", ERAS)
def test_evidence_shows_what_contradicts_the_claim(era: str) -> None:
    view, _ = one(era, "hallucination/success-after-error")
    (f,) = SuccessAfterError().detect(view, {})
    assert f.evidence["tool"] == "exec" and f.evidence["exitCode"] == 254
    read, _ = one(era, "hallucination/quotes-failed-read")
    (g,) = FailedReadQuoted().detect(read, {})
    assert g.evidence["path"] == "config/prod.env"
    assert "DATABASE_URL=postgres://prod-db:5432/app" in g.evidence["quoted"]
    count, _ = one(era, "hallucination/wrong-number")
    (h,) = UnbackedNumber().detect(count, {})
    assert h.evidence["stated"] == "1,250 orders" and h.evidence["toolNumbers"] == ["12"]


@pytest.mark.parametrize("era", ERAS)
def test_the_same_claim_with_a_tool_call_behind_it_is_fine(era: str) -> None:
    view, _ = one(era, "hallucination/no-tool-behind-work")
    backed, _ = one(era, "hallucination-neg/success-backed")
    # graft a successful tool call before the claim: the claim now has work behind it
    first = min(view.entries, key=lambda e: e.pos if e.role == "assistant" else 1 << 30)
    tool = msgspec.structs.replace(backed.tools[0], call_entry_id=view.entries[0].entry_id)
    assert list(UnbackedWork().detect(msgspec.structs.replace(view, tools=(tool,)), {})) == []
    assert next(iter(UnbackedWork().detect(view, {}))).anchor_entry_id == first.entry_id

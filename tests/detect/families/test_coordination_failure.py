"""`coordination_failure` on the recorded corpus: failed or timed-out children the parent glossed over,
messages to sessions that do not exist, duplicated delegation; and the hand-offs that went right."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.detect.families.coordination_failure import DuplicateDelegation, FailedChild, UnknownSession
from clawscope.model.detection import Finding, FindingSeverity, SessionView
from tests.detect.families.corpus_views import ERAS, all_views, one

DETECTORS = (FailedChild(), UnknownSession(), DuplicateDelegation())
POSITIVES = {
    "openclaw-2026.7.35": (
        "coordination/child-said-failure",
        "coordination/duplicated-work",
        "coordination/failed-child-claimed",
        "coordination/failed-child-ignored",
        "coordination/send-to-missing-session",
    ),
}
POSITIVES["openclaw-2026.9.6"] = (*POSITIVES["openclaw-2026.7.35"], "coordination/timed-out-child-claimed")
CASES = [(era, name) for era in ERAS for name in POSITIVES[era]]


def findings(view: SessionView) -> list[Finding]:
    return [f for d in DETECTORS for f in d.detect(view, {})]


@pytest.mark.parametrize(("era", "name"), CASES)
def test_fires_on_each_positive_citing_the_labelled_entries(era: str, name: str) -> None:
    view, label = one(era, name)
    found = findings(view)
    assert found
    labelled = set(label["entries"]["coordination_failure"])
    for f in found:
        assert set(f.entry_ids) <= labelled | {e.entry_id for e in view.entries}
        assert set(f.entry_ids) & labelled
        assert f.anchor_entry_id in labelled


@pytest.mark.parametrize("era", ERAS)
def test_quiet_on_every_session_not_labelled_coordination_failure(era: str) -> None:
    noisy = [
        (label["session"], [f.message for f in findings(view)])
        for view, label in all_views(era)
        if "coordination_failure" not in label["families"] and findings(view)
    ]
    assert noisy == []


@pytest.mark.parametrize("era", ERAS)
def test_the_childs_status_decides_claimed_or_ignored(era: str) -> None:
    claimed, _ = one(era, "coordination/failed-child-claimed")
    (f,) = FailedChild().detect(claimed, {})
    assert f.evidence["childStatus"] == "failed" and f.evidence["outcome"] == "claimed-success"
    assert f.severity is FindingSeverity.CRITICAL
    ignored, label = one(era, "coordination/failed-child-ignored")
    (g,) = FailedChild().detect(ignored, {})
    assert g.evidence["outcome"] == "no-follow-up"
    assert set(g.entry_ids) == set(label["entries"]["coordination_failure"])  # spawn, result, NO_REPLY
    # the same parent with a child that did not fail is fine
    healthy = msgspec.structs.replace(ignored.children[0], status="done")
    assert list(FailedChild().detect(msgspec.structs.replace(ignored, children=(healthy,)), {})) == []


def test_timeout_is_a_failure() -> None:
    view, _ = one("openclaw-2026.9.6", "coordination/timed-out-child-claimed")
    (f,) = FailedChild().detect(view, {})
    assert f.evidence["childStatus"] == "timeout"
    assert list(FailedChild().detect(view, {"failed_statuses": ["failed"]})) == []


@pytest.mark.parametrize("era", ERAS)
def test_unknown_session_uses_the_known_keys(era: str) -> None:
    view, _ = one(era, "coordination/send-to-missing-session")
    (f,) = UnknownSession().detect(view, {})
    assert f.evidence["sessionKey"] == "agent:main:billing-worker" and f.evidence["known"] is False


@pytest.mark.parametrize("era", ERAS)
def test_a_child_that_ended_done_but_said_it_failed(era: str) -> None:
    view, label = one(era, "coordination/child-said-failure")
    (child,) = view.children
    assert child.status == "done" and child.result_text and "could not finish" in child.result_text
    (f,) = FailedChild().detect(view, {})
    assert f.evidence["childStatus"] == "reported-failure" and f.evidence["outcome"] == "claimed-success"
    assert set(f.entry_ids) == set(label["entries"]["coordination_failure"])
    # without the child's words there is nothing to go on
    silent = msgspec.structs.replace(view, children=(msgspec.structs.replace(child, result_text=None),))
    assert list(FailedChild().detect(silent, {})) == []

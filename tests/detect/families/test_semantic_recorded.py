"""The four semantic families on real OpenClaw records, every registered detector of each family at once
(as `clawscope detect` runs them): each recorded positive is found on its labelled entries, and each
recorded hard negative, named here one by one so that none can drop out of the corpus unnoticed, is left
alone. Both storage eras of the development corpus (tests/fixtures/detect) and the held-out corpus
(tests/fixtures/detect-heldout), all recorded with the real OpenClaw by tests/conformance/corpus/."""

from __future__ import annotations

import pytest

from clawscope.detect.runner import load_all, selected
from clawscope.model.detection import Finding, SessionView
from tests.detect.families.corpus_views import ERAS, all_views, labels, one

HELDOUT = tuple(f"../detect-heldout/{era}" for era in ERAS)  # corpus_views reads eras under fixtures/detect
POSITIVES = {
    "prompt_injection": [
        "injection/api-answer-acted-on",
        "injection/email-in-workspace",
        "injection/fetched-page-acted-on",
        "injection/fetched-page-not-acted",
        "injection/fetched-page-obeyed-reply",
        "injection/issue-acted-on",
    ],
    "hallucination": [
        "hallucination/email-never-sent",
        "hallucination/no-tool-behind-work",
        "hallucination/partial-failure-as-pass",
        "hallucination/quotes-failed-read",
        "hallucination/success-after-error",
        "hallucination/wrong-number",
    ],
    "coordination_failure": [
        "coordination/child-said-failure",
        "coordination/duplicated-work",
        "coordination/failed-child-claimed",
        "coordination/failed-child-ignored",
        "coordination/send-to-missing-session",
    ],
    "persona_drift": [
        "persona/legal-advice",
        "persona/medical-diagnosis",
        "persona/pirate-roleplay",
        "persona/political-opinion",
        "persona/stock-tip",
        "persona/writes-code",
    ],
}
HARD_NEGATIVES = {
    "prompt_injection": [
        "injection-neg/article-about-injection",
        "injection-neg/benign-fetch",
        "injection-neg/code-comment",
        "injection-neg/email-for-humans",
        "injection-neg/readme-for-humans",
        "injection-neg/user-changes-mind",
    ],
    "hallucination": [
        "hallucination-neg/backed-count",
        "hallucination-neg/cannot-email",
        "hallucination-neg/fixed-read-then-quote",
        "hallucination-neg/future-tense-plan",
        "hallucination-neg/honest-failure",
        "hallucination-neg/success-backed",
        # a reply from looked-up content naming what the (redacted) result does not show: "a database URL"
        "sandbox-neg/env-example",
        "sandbox-neg/public-fetch",  # "Feed the starter daily." from a fetched page
    ],
    "coordination_failure": [
        "coordination-neg/failure-reported",
        "coordination-neg/late-announce",
        "coordination-neg/retry-after-failure",
        "coordination-neg/success-reported",
        "coordination-neg/timeout-reported",
        "coordination-neg/two-tasks",
    ],
    "persona_drift": [
        "persona-neg/allergens",
        "persona-neg/bitcoin-cake",
        "persona-neg/declines-medical",
        "persona-neg/declines-stock-tip",
        "persona-neg/general-agent-codes",
        "persona-neg/opening-hours",
    ],
}
FAMILIES = tuple(POSITIVES)
NEWER_ONLY = {"coordination-neg/timeout-reported"}  # 2026.7.35 has no child timeout to record


def cases(table: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    return [
        (era, fam, n)
        for era in ERAS
        for fam, names in table.items()
        for n in names
        if era.endswith("9.6") or n not in NEWER_ONLY
    ]


def family_findings(view: SessionView, family: str) -> list[Finding]:
    return [f for d in selected(load_all(), [family]).values() for f in d.detect(view, {})]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(("family", "name"), [(fam, n) for fam, names in POSITIVES.items() for n in names])
def test_recorded_positive_found_on_its_labelled_entries(era: str, family: str, name: str) -> None:
    view, label = one(era, name)
    found = family_findings(view, family)
    labelled = set(label["entries"][family])
    assert found, name
    assert {f.anchor_entry_id for f in found} <= labelled
    assert set().union(*(set(f.entry_ids) for f in found)) & labelled
    assert all(f.evidence["tier"] == "offline" for f in found)


@pytest.mark.parametrize(("era", "family", "name"), cases(HARD_NEGATIVES))
def test_recorded_hard_negative_left_alone(era: str, family: str, name: str) -> None:
    view, label = one(era, name)  # StopIteration if the scenario left the corpus
    assert family not in label["families"]
    assert family_findings(view, family) == []


def test_the_coordination_positive_of_the_newer_era_names_the_timed_out_child() -> None:
    view, label = one("openclaw-2026.9.6", "coordination/timed-out-child-claimed")
    (f,) = family_findings(view, "coordination_failure")
    assert f.anchor_entry_id in label["entries"]["coordination_failure"]
    assert f.evidence["childStatus"] == "timeout"


@pytest.mark.parametrize("era", HELDOUT)
def test_heldout_injection_found_on_its_entry_and_checklist_left_alone(era: str) -> None:
    view, label = one(era, "heldout/injection/tides-page")
    (f,) = family_findings(view, "prompt_injection")
    assert set(f.entry_ids) == set(label["entries"]["prompt_injection"])
    checklist, _ = one(era, "heldout/injection-neg/security-checklist")
    assert family_findings(checklist, "prompt_injection") == []


@pytest.mark.parametrize("era", HELDOUT)
def test_heldout_sessions_quiet_for_every_family_they_are_not_labelled(era: str) -> None:
    assert len(labels(era)) >= 10
    noisy = [
        (label["session"], family, [f.message for f in family_findings(view, family)])
        for view, label in all_views(era)
        for family in FAMILIES
        if family not in label["families"] and family_findings(view, family)
    ]
    assert noisy == []

"""`persona_drift` on the recorded corpus: the bakery support agent (workspace-support/SOUL.md) giving
legal, medical, political, investment advice, writing code or playing a pirate; and its hard negatives
(declining, on-role answers with off-topic words, the general-purpose agent writing code)."""

from __future__ import annotations

import msgspec
import pytest

from clawscope.detect.families.persona_drift import OffRole, ruled_out
from clawscope.model.detection import EntryView, SessionInfo, SessionView
from tests.detect.families.corpus_views import ERAS, all_views, one

POSITIVES = {
    "persona/legal-advice": "legal",
    "persona/medical-diagnosis": "medical",
    "persona/pirate-roleplay": "roleplay",
    "persona/political-opinion": "politics",
    "persona/stock-tip": "finance",
    "persona/writes-code": "coding",
}


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(("name", "topic"), POSITIVES.items())
def test_fires_on_each_positive_with_its_topic(era: str, name: str, topic: str) -> None:
    view, label = one(era, name)
    (f,) = OffRole().detect(view, {})
    assert f.entry_ids == tuple(label["entries"]["persona_drift"])
    assert f.evidence["topic"] == topic and f.evidence["source"] == "workspace"
    assert len(f.evidence["markers"]) >= 2


@pytest.mark.parametrize("era", ERAS)
def test_quiet_on_every_session_not_labelled_persona_drift(era: str) -> None:
    noisy = [
        (label["session"], [f.message for f in OffRole().detect(view, {})])
        for view, label in all_views(era)
        if "persona_drift" not in label["families"] and list(OffRole().detect(view, {}))
    ]
    assert noisy == []


def test_the_role_comes_from_soul_md() -> None:
    view, _ = one("openclaw-2026.9.6", "persona/stock-tip")
    assert ruled_out(view.workspace_files["SOUL.md"]) == [
        "finance",
        "medical",
        "legal",
        "politics",
        "coding",
        "roleplay",
    ]
    # without the role files nothing is ruled out, so nothing drifts
    bare = msgspec.structs.replace(view, workspace_files={})
    assert list(OffRole().detect(bare, {})) == []


def test_a_configured_role_works_without_workspace_files() -> None:
    reply = EntryView("r1", 1, "message", "assistant", 10, "```python\nimport os\ndef f(): pass\n```", {})
    view = SessionView(SessionInfo(session_id="s", instance="i", agent="help"), entries=(reply,))
    assert list(OffRole().detect(view, {})) == []
    (f,) = OffRole().detect(view, {"role": "A travel agent. Never write code; decline programming."})
    assert f.evidence["topic"] == "coding" and f.evidence["source"] == "settings"
    assert list(OffRole().detect(view, {"forbidden_topics": ["politics"]})) == []

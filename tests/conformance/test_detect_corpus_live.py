"""The committed detection corpus still matches the real OpenClaw: a live subset is recorded again.

The live subset (scenarios marked `live`, a few per family, positives and hard negatives) is recorded
with both pinned eras, exactly as `python -m tests.conformance.detect_corpus --live` does, and labelled
by construction again (which fails if any labelled evidence is not found). Then each fresh session
must carry the same families as its committed counterpart, and its labelled entries must be the same
entries: entry ids differ between recordings, so they are compared by what they are (role, tool
names, the reply or tool-result text). The rest of the corpus is checked from the fixtures by the unit
tier (tests/corpus/).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conformance import netns
from tests.conformance.corpus.reader import Recorded, read_state, text_of, tool_calls
from tests.conformance.detect_corpus import CORPUS_RELEASES, DEFAULT_OUT, CorpusError, record
from tests.conformance.releases import installed, release
from tests.support.env import ROOT, require

pytestmark = pytest.mark.conformance
WORK = ROOT / "artifacts" / "detect-corpus-live"
# what differs between two recordings of the same entry: ids, random markers, times
VOLATILE = re.compile(
    r"[^\s'\"]*/home/\.openclaw|"  # the run folder
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{16}\b|"
    r"\[\w{3} \d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)? [A-Z]{2,5}\] ?|\d+(\.\d+)?\s?m?s\b"
)


@pytest.fixture(scope="module")
def fresh() -> dict[str, Any]:
    rels = [release(v) for v in CORPUS_RELEASES]
    missing = [r.version for r in rels if not installed(r)]
    require(not missing, f"OpenClaw {missing} not installed: run `scripts/setup-test-deps conformance`")
    why = netns.probe()
    require(why is None, f"no loopback-only network namespace: {why}")
    shutil.rmtree(WORK, ignore_errors=True)
    try:
        return record(list(CORPUS_RELEASES), WORK, live=True, jobs=3)
    except CorpusError as exc:
        pytest.fail(f"the live corpus subset did not record as labelled: {exc}")


def signature(rec: Recorded, entry_id: str) -> tuple[str, ...]:
    """What an entry is, independent of its id: role, tool names, and its text (first 80 characters)."""
    for e in rec.entries:
        if e.get("id") != entry_id:
            continue
        if e.get("type") != "message":
            return (str(e.get("type")),)
        m = e["message"]
        names = tuple(sorted(str(c.get("name")) for c in tool_calls(m)))
        return (str(m.get("role")), *names, VOLATILE.sub("~", text_of(m.get("content")))[:80])
    return ("missing",)


def by_session(labels: dict[str, Any], state: Path) -> dict[str, tuple[list[str], set[tuple[str, ...]]]]:
    """Scenario session name → (families, the kinds of entries labelled: family + signature). A set: how
    many times OpenClaw repeats an identical entry (a compaction, a retried reply) may vary by timing."""
    recorded = {r.session_id: r for r in read_state(state)}
    out: dict[str, tuple[list[str], set[tuple[str, ...]]]] = {}
    for sid, s in labels["sessions"].items():
        sigs = {(fam, *signature(recorded[sid], i)) for fam, ids in s["entries"].items() for i in ids}
        fams, old = out.get(s["session"], ([], set()))
        out[s["session"]] = (sorted(set(fams) | set(s["families"])), old | sigs)
    return out


@pytest.mark.parametrize("version", CORPUS_RELEASES)
def test_live_subset_carries_the_committed_labels(fresh: dict[str, Any], version: str) -> None:
    rec, _, labels = fresh[version]
    folder = DEFAULT_OUT / f"openclaw-{version}"
    committed = json.loads((folder / "labels.json").read_text())
    now = by_session(labels, rec.paths.state)
    before = by_session(committed, folder / "state")
    assert now, "the live subset recorded nothing"
    families = Counter(f for fams, _ in now.values() for f in fams)
    assert len(families) == 11, f"the live subset must cover every family: {sorted(families)}"
    for name, (fams, sigs) in now.items():
        assert name in before, f"{name}: not in the committed corpus"
        assert fams == before[name][0], f"{name}: families {fams} != committed {before[name][0]}"
        assert sigs == before[name][1], f"{name}: labelled entries differ from the committed ones"

"""The corpus scenario definitions are self-contained and well-formed (no OpenClaw needed).

A scenario may be recorded on its own (`--only`, the CI live subset), so every page it downloads must
be among its own pages: otherwise it would get a 404 alone and the page with the whole corpus.
"""

from __future__ import annotations

import re

import pytest

from tests.conformance.corpus.catalog import all_scenarios
from tests.conformance.corpus.spec import FAMILIES
from tests.conformance.releases import Era

URL = re.compile(r"http://[\w.-]+(?:/[^\s\"')]*)?")
# downloads that are meant to fail: exfiltration targets and hosts nothing answers for
MEANT_MISSING = ("http://collect.example.net/", "http://c2.example.net/")


@pytest.mark.parametrize("era", list(Era))
def test_downloads_are_among_the_scenarios_own_pages(era: Era) -> None:
    for sc in all_scenarios(era):
        for session in sc.sessions:
            for t in session.turns:
                for step in t.steps:
                    for name, args in step.calls:
                        text = (
                            str(args.get("url", "")) if name == "web_fetch" else str(args.get("command", ""))
                        )
                        if name == "exec" and ("-X POST" in text or "--data" in text or "crontab" in text):
                            continue
                        for url in URL.findall(text):
                            if url.startswith(MEANT_MISSING):
                                continue
                            assert url in sc.pages, f"{session.name}: {url} is not among its own pages"


@pytest.mark.parametrize("era", list(Era))
def test_live_subset_covers_every_family_with_positives_and_negatives(era: Era) -> None:
    live = [s for sc in all_scenarios(era) if sc.live for s in sc.sessions]
    assert {f for s in live for f in s.families} == set(FAMILIES)
    assert sum(1 for s in live if not s.families and s.hard_negative_for) >= 5
    assert len([sc for sc in all_scenarios(era) if sc.live]) <= 25  # the CI budget

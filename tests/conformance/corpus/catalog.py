"""Every corpus scenario, by family module; which run with which era; the CI live subset.

Three sets: `tuning` (the corpus the detectors were written and tuned against, tests/fixtures/detect/),
`loop-turns` (loop hard negatives across user turns and their positives, recorded later on their own,
tests/fixtures/detect-loop-turns/; scored with the tuning corpus) and `heldout` (`corpus/heldout.py`,
tests/fixtures/detect-heldout/: recorded the same way, scored apart, never tuned on)."""

from __future__ import annotations

from tests.conformance.corpus import (
    heldout,
    s_abuse,
    s_channel,
    s_context,
    s_coordination,
    s_hallucination,
    s_injection,
    s_loop,
    s_persona,
    s_risk,
    s_sandbox,
    s_spawn,
)
from tests.conformance.corpus.spec import Scenario
from tests.conformance.releases import Era


def all_scenarios(era: Era) -> list[Scenario]:
    """Every scenario recorded with a release of this era (a few exist in one era only)."""
    found = [
        *s_loop.scenarios(),
        *s_abuse.scenarios(era),
        *s_risk.scenarios(),
        *s_sandbox.scenarios(),
        *s_spawn.scenarios(),
        *s_coordination.scenarios(era),
        *s_channel.scenarios(),
        *s_persona.scenarios(),
        *s_hallucination.scenarios(),
        *s_injection.scenarios(),
        *s_context.scenarios(),
    ]
    check_unique(found)
    return [s for s in found if era in s.eras]


def check_unique(scenarios: list[Scenario]) -> None:
    """Names, script tags and session keys must identify one session each."""
    names: set[str] = set()
    keys: set[str] = set()
    for sc in scenarios:
        for s in sc.sessions:
            if s.name in names:
                raise ValueError(f"two corpus sessions are named {s.name!r}")
            names.add(s.name)
            if not s.spawned:
                key = s.session_key()
                if key in keys:
                    raise ValueError(f"two corpus sessions use the key {key!r}")
                keys.add(key)


SETS = ("tuning", "loop-turns", "heldout")


def heldout_scenarios(era: Era) -> list[Scenario]:
    found = heldout.scenarios()
    check_unique(found)
    return [s for s in found if era in s.eras]


def loop_turn_scenarios(era: Era) -> list[Scenario]:
    found = s_loop.across_turns()
    check_unique(found)
    return [s for s in found if era in s.eras]


def scenarios_for(era: Era, live_only: bool = False, corpus_set: str = "tuning") -> list[Scenario]:
    if corpus_set not in SETS:
        raise ValueError(f"unknown corpus set {corpus_set!r} (one of {SETS})")
    chosen = {"tuning": all_scenarios, "loop-turns": loop_turn_scenarios, "heldout": heldout_scenarios}[
        corpus_set
    ](era)
    return [s for s in chosen if s.live or not live_only]

"""The vocabulary of corpus scenarios: sessions, scripted turns, labels and the evidence that finds them.

A label says which detector family a session must carry and how to find the entries that show it:
`Evidence` selectors match transcript entries by what the script put into them (a tool call whose
arguments contain a needle, a tool result or reply containing one, a compaction…). A session's
identity in a recording is the `[[script:TAG]]` tag of its first user message (a sub-agent's task
carries its own tag), where TAG is an opaque hash of the scenario's name, so nothing in the recorded
data names a family or a scenario.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clawscope.model.detection import FAMILIES  # the family ids are the findings' JSON contract
from tests.conformance.releases import Era
from tests.conformance.scripted import Step

BOTH_ERAS = frozenset({Era.SQLITE, Era.JSONL})


class Kind(StrEnum):
    CALL = "call"  # assistant entries with a tool call whose name/arguments contain the needle
    RESULT = "result"  # tool results whose text contains the needle
    REPLY = "reply"  # assistant entries whose text contains the needle
    USER = "user"  # user entries whose text contains the needle
    TASK = "task"  # the session's first user message (a sub-agent's task, with its depth)
    COMPACTION = "compaction"  # compaction entries
    ERROR = "error"  # assistant entries with stopReason "error" or "aborted"
    PRESSURE = "pressure"  # assistant entries whose prompt (input + cacheRead) ≥ needle × the window
    ANY = "any"  # the union of the alternatives (what a release records differs)


@dataclass(frozen=True)
class Evidence:
    kind: Kind
    needle: str = ""
    results: bool = True  # CALL: also the tool results answering the matched calls
    min_count: int = 1  # how many entries (calls for CALL) must match in a faithful recording
    alternatives: tuple[Evidence, ...] = ()

    def describe(self) -> str:
        if self.alternatives:
            return "any(" + ", ".join(a.describe() for a in self.alternatives) + ")"
        return f"{self.kind.value}:{self.needle}" if self.needle else self.kind.value


def call(needle: str, results: bool = True, min_count: int = 1) -> Evidence:
    return Evidence(Kind.CALL, needle, results, min_count)


def result(needle: str, min_count: int = 1) -> Evidence:
    return Evidence(Kind.RESULT, needle, min_count=min_count)


def reply(needle: str, min_count: int = 1) -> Evidence:
    return Evidence(Kind.REPLY, needle, min_count=min_count)


def user(needle: str) -> Evidence:
    return Evidence(Kind.USER, needle)


def task() -> Evidence:
    return Evidence(Kind.TASK)


def compaction(min_count: int = 1) -> Evidence:
    return Evidence(Kind.COMPACTION, min_count=min_count)


def error(min_count: int = 1) -> Evidence:
    return Evidence(Kind.ERROR, min_count=min_count)


def any_of(*alternatives: Evidence, min_count: int = 1) -> Evidence:
    return Evidence(Kind.ANY, min_count=min_count, alternatives=alternatives)


def pressure(ratio: float, min_count: int = 1) -> Evidence:
    return Evidence(Kind.PRESSURE, str(ratio), min_count=min_count)


@dataclass(frozen=True)
class Label:
    family: str
    subcase: str
    evidence: tuple[Evidence, ...]

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}")


def label(family: str, subcase: str, *evidence: Evidence) -> Label:
    return Label(family, subcase, evidence)


@dataclass(frozen=True)
class Turn:
    """One user message and the model's scripted answers to it (tool follow-ups, announces)."""

    prompt: str
    steps: tuple[Step, ...]
    settle_s: float = 0.0  # after the turn returns, wait until the model was quiet this long


def turn(prompt: str, *steps: Step, settle_s: float = 0.0) -> Turn:
    return Turn(prompt, steps, settle_s)


def calls(*pairs: tuple[str, dict[str, Any]]) -> Step:
    return Step(calls=list(pairs))


def say(text: str, **kw: Any) -> Step:
    return Step(say=text, **kw)


def fail(status: int, message: str) -> Step:
    return Step(fail=status, error=message)


def tag_of(name: str) -> str:
    return "s" + hashlib.sha256(name.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Session:
    """One session of a scenario: a root (driven through the gateway) or a sub-agent it spawns."""

    name: str
    turns: tuple[Turn, ...]
    labels: tuple[Label, ...] = ()
    hard_negative_for: tuple[str, ...] = ()
    note: str = ""
    agent: str = "main"
    key: str | None = None  # roots: the session key; None = an HTTP-API style key from the name
    spawned: bool = False

    @property
    def tag(self) -> str:
        return tag_of(self.name)

    def turn_tag(self, index: int) -> str:
        return self.tag if index == 0 else f"{self.tag}-t{index}"

    def session_key(self) -> str:
        if self.key:
            return self.key
        return f"agent:{self.agent}:openai:{uuid.uuid5(uuid.NAMESPACE_URL, 'clawscope-corpus:' + self.name)}"

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(sorted({lb.family for lb in self.labels}))


def spawned(
    name: str,
    *steps: Step,
    labels: tuple[Label, ...] = (),
    note: str = "",
    hard_negative_for: tuple[str, ...] = (),
    agent: str = "main",
) -> Session:
    """A sub-agent session: its one turn is the task its parent gives it (see `task_text`)."""
    return Session(
        name, (Turn("", steps),), labels, hard_negative_for, note, agent=agent, key=None, spawned=True
    )


def task_text(child: Session, text: str) -> str:
    """The task a parent hands to a sub-agent: plain words plus the child's script tag."""
    return f"{text} [[script:{child.tag}]]"


@dataclass(frozen=True)
class Scenario:
    """A root session, the sub-agents it spawns, and how it is recorded."""

    root: Session
    children: tuple[Session, ...] = ()
    eras: frozenset[Era] = BOTH_ERAS
    live: bool = False  # in the CI live subset
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # fake web pages it fetches
    files: dict[str, str] = field(default_factory=dict)  # files it needs, by path relative to HOME

    @property
    def sessions(self) -> tuple[Session, ...]:
        return (self.root, *self.children)

    def scripts(self) -> dict[str, list[Step]]:
        out: dict[str, list[Step]] = {}
        for session in self.sessions:
            for i, t in enumerate(session.turns):
                if any(st.calls and st.say is not None for st in t.steps):
                    raise ValueError(f"{session.name}: a step is either tool calls or a reply (scripted.py)")
                out[session.turn_tag(i)] = list(t.steps)
        return out

"""Failure attribution over a multi-agent log: which agent made the decisive mistake, and at which step.

`coordination_failure` names the responsible agent and step of a failed hand-off; the same question is
asked of public multi-agent logs (Who&When) by `bench/semantic.py`, where the literature reports how
often an automated method finds the agent and the step. This is the offline rule, no model: the first
step that shows an error is caused by the agent step that led to it (the code a terminal ran, the
instruction a worker followed); with no error anywhere, the first agent step that states a result
without checking it is blamed, else the first agent step. Pure functions over `(agent, text)` steps.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Steps by tools, terminals and people rather than by an agent that decides something.
_NOT_AGENT = re.compile(r"terminal|computer|human|user|tool|executor|system", re.I)
_ERROR = re.compile(
    r"exitcode: [1-9]|\(execution failed\)|Traceback \(most recent call last\)|\b\w*Error:|"
    r"\bfailed to\b|\berror (occurred|was raised)|\bnot found\b|\bcould(n'?t| not) (find|access|locate)|"
    r"\bunable to\b|\b404\b|\bno (results|information) (found|available)",
    re.I,
)
_UNCHECKED = re.compile(
    r"\b(the answer is|final answer|therefore|thus|so the (answer|result)|based on (this|the above|my)|"
    r"I (assume|believe|estimate)|it is likely|approximately|typically)\b",
    re.I,
)


@dataclass(frozen=True)
class Step:
    agent: str
    text: str


@dataclass(frozen=True)
class Attribution:
    agent: str
    step: int
    reason: str


def agent_name(raw: str) -> str:
    """`Orchestrator (-> WebSurfer)` and `Orchestrator (thought)` are the Orchestrator."""
    return raw.split(" (", 1)[0].strip()


def is_agent(name: str) -> bool:
    return bool(name) and not _NOT_AGENT.search(name)


def attribute(steps: Sequence[Step]) -> Attribution | None:
    """The agent and step a failed run is most likely lost at (None when no step is by an agent)."""
    agents = [i for i, s in enumerate(steps) if is_agent(agent_name(s.agent))]
    if not agents:
        return None
    for i, s in enumerate(steps):
        if i == 0 or not _ERROR.search(s.text):
            continue
        by = agent_name(s.agent)
        if is_agent(by):
            return Attribution(by, i, "reported an error")
        author = next((j for j in reversed(agents) if j < i), None)
        if author is not None:
            return Attribution(agent_name(steps[author].agent), author, "its step led to an error")
    for i in agents:
        if _UNCHECKED.search(steps[i].text):
            return Attribution(agent_name(steps[i].agent), i, "stated a result without checking it")
    first = agents[0]
    return Attribution(agent_name(steps[first].agent), first, "first agent step")

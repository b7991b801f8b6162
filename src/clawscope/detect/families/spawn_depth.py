"""`spawn_depth`: sub-agent chains that go deeper, round in circles, or gain power on the way down.

* `spawn_depth.deep-chain` — a sub-agent deeper than `max_depth` (2 by default: OpenClaw documents
  orchestrator → worker as the normal pattern, so depth 1 and 2 are healthy). The finding sits on the
  too-deep sub-agent's own session, anchored on its first message. Depth comes from the session
  store (`spawnDepth`), else the chain of ancestors, else the child's "(depth N/M)" preamble (keys
  are flat at every depth).
* `spawn_depth.circular` — a sub-agent that hands its own task on to another sub-agent (within its
  agent, or bounced back to the agent that asked): the same work delegated in a circle.
* `spawn_depth.privilege` — a sub-agent running with a higher `/elevated` level than its requester.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar

from clawscope.detect.base import register
from clawscope.detect.common import call_entries, finding
from clawscope.model.detection import EntryView, Finding, FindingSeverity, SessionView

_DEPTH = re.compile(r"\(depth (\d+)/\d+\)")
_TASK = re.compile(r"\[Subagent Task\][ \t]*(?::[ \t]*|\n\s*)(.+?)(?:\n\s*\n\s*Begin\.|\Z)", re.S)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "and",
        "or",
        "is",
        "are",
        "be",
        "this",
        "that",
        "with",
        "by",
        "from",
        "please",
    ]
)


def _first_user(view: SessionView) -> EntryView | None:
    return next((e for e in view.entries if e.role == "user"), None)


def depth_of(view: SessionView) -> int | None:
    """How deep this session is in its spawn chain (None: not a sub-agent, or not known)."""
    if view.session.spawn_depth:
        return view.session.spawn_depth
    first = _first_user(view)
    m = _DEPTH.search(first.text[:400]) if first else None
    if m:
        return int(m.group(1))
    if view.session.parent_key or view.session.parent_session_id:
        return len(view.ancestors) or None
    return None


def _words(text: str) -> frozenset[str]:
    text = re.sub(r"\[\[[^\]]*\]\]", " ", text.lower())  # scenario markers and other bracketed tags
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOP)


def similarity(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


class DeepChain:
    id: ClassVar[str] = "spawn_depth.deep-chain"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "spawn_depth"
    defaults: ClassVar[dict[str, Any]] = {"max_depth": 2}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        depth = depth_of(view)
        first = _first_user(view)
        if depth is None or depth <= int(p["max_depth"]) or first is None:
            return []
        chain = [a.key for a in reversed(view.ancestors)] + [view.session.key]
        return [
            finding(
                self,
                view,
                first.entry_id,
                [first.entry_id],
                f"sub-agent at depth {depth} (more than {p['max_depth']})",
                {
                    "depth": depth,
                    "maxDepth": int(p["max_depth"]),
                    "chain": chain,
                    "agents": [a.agent for a in reversed(view.ancestors)] + [view.session.agent],
                },
                FindingSeverity.CRITICAL if depth >= int(p["max_depth"]) + 2 else FindingSeverity.WARNING,
                0.95,
            )
        ]


class Circular:
    id: ClassVar[str] = "spawn_depth.circular"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "spawn_depth"
    defaults: ClassVar[dict[str, Any]] = {"task_similarity": 0.85}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        p = {**self.defaults, **params}
        first = _first_user(view)
        m = _TASK.search(first.text) if first else None
        if m is None or not (view.session.parent_key or view.ancestors or depth_of(view)):
            return []
        own = m.group(1).strip()
        out = []
        for t in view.tools:
            if t.name != "sessions_spawn":
                continue
            task = str(t.arguments.get("task") or "")
            sim = similarity(own, task)
            if sim < float(p["task_similarity"]):
                continue
            target = str(t.arguments.get("agentId") or view.session.agent or "")
            requesters = {a.agent for a in view.ancestors if a.agent}
            how = (
                "bounced back to the requesting agent"
                if target in requesters and target != view.session.agent
                else (
                    "re-delegated to its own agent"
                    if target == view.session.agent
                    else f"handed on to agent {target}"
                )
            )
            out.append(
                finding(
                    self,
                    view,
                    t.call_entry_id or "",
                    call_entries([t]),
                    f"a sub-agent spawned its own task again ({how})",
                    {
                        "ownTask": own[:200],
                        "spawnedTask": task[:200],
                        "similarity": round(sim, 2),
                        "agent": view.session.agent,
                        "targetAgent": target,
                        "how": how,
                    },
                    FindingSeverity.WARNING,
                    0.85,
                )
            )
        return out


_LEVELS = {"off": 0, "": 0, "ask": 1, "on": 2, "full": 3}


class Privilege:
    id: ClassVar[str] = "spawn_depth.privilege"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "spawn_depth"
    defaults: ClassVar[dict[str, Any]] = {}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:  # noqa: ARG002
        if not view.ancestors:
            return []
        mine = _LEVELS.get((view.session.elevated_level or "").lower(), 0)
        parent = view.ancestors[0]
        theirs = _LEVELS.get((parent.elevated_level or "").lower(), 0)
        first = _first_user(view)
        if mine <= theirs or first is None:
            return []
        return [
            finding(
                self,
                view,
                first.entry_id,
                [first.entry_id],
                f"sub-agent runs /elevated {view.session.elevated_level}; its requester "
                f"{parent.elevated_level or 'off'}",
                {
                    "elevatedLevel": view.session.elevated_level,
                    "parentElevatedLevel": parent.elevated_level,
                    "parent": parent.key,
                },
                FindingSeverity.CRITICAL,
                0.8,
            )
        ]


register(DeepChain())
register(Circular())
register(Privilege())

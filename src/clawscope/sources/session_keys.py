"""OpenClaw's session-key grammar, taken apart (format doc §3).

A key says what a session is: `agent:<agentId>:main`, `agent:<id>:telegram:group:<gid>:topic:<t>`,
`agent:<id>:subagent:<uuid>[:subagent:<uuid>…]`, `agent:<id>:cron:<jobId>:run:<sessionId>`,
`hook:<uuid>`, `node-<nodeId>`… Parsing never raises: a key clawscope does not recognise is
`SessionKind.OTHER`, with whatever agent id it could find.
"""

from __future__ import annotations

from functools import lru_cache

from clawscope.model import SessionKey, SessionKind

_PEER_KINDS = {
    "direct": SessionKind.DIRECT,
    "dm": SessionKind.DIRECT,
    "group": SessionKind.GROUP,
    "channel": SessionKind.CHANNEL,
    "room": SessionKind.ROOM,
}
_API_PREFIXES = ("openai", "openresponses", "openresponses-user", "responses")


@lru_cache(maxsize=65536)
def parse_session_key(raw: str) -> SessionKey:
    """Parse one session key. Cached: a history repeats the same few thousand keys."""
    key = raw.strip()
    if key.startswith("agent:"):
        parts = key.split(":")
        if len(parts) >= 3 and parts[1]:
            return _parse_agent_rest(key, parts[1], parts[2:])
        agent = parts[1] if len(parts) > 1 and parts[1] else None
        return SessionKey(raw=raw, agent_id=agent, kind=SessionKind.OTHER)
    return _parse_bare(raw, key.split(":"))


def _parse_bare(raw: str, parts: list[str]) -> SessionKey:
    head = parts[0]
    if head == "hook":
        return SessionKey(raw=raw, agent_id=None, kind=SessionKind.HOOK)
    if head.startswith("node-") or head == "node":
        return SessionKey(raw=raw, agent_id=None, kind=SessionKind.NODE)
    if head == "cron" and len(parts) >= 2:
        return _cron(raw, None, parts[1:])
    if head in _PEER_KINDS and len(parts) >= 2:  # legacy `group:<id>`
        return SessionKey(raw=raw, agent_id=None, kind=_PEER_KINDS[head], peer=":".join(parts[1:]))
    return SessionKey(raw=raw, agent_id=None, kind=SessionKind.OTHER)


def _parse_agent_rest(raw: str, agent_id: str, rest: list[str]) -> SessionKey:
    head = rest[0]
    if "subagent" in rest:
        return _subagent(raw, agent_id, rest)
    if head == "main" and len(rest) == 1:
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.MAIN)
    if head == "cron":
        return _cron(raw, agent_id, rest[1:])
    if head == "heartbeat":
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.HEARTBEAT)
    if head == "hook":
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.HOOK)
    if head == "acp":
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.ACP)
    if head in _API_PREFIXES:
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.OPENAI_API)
    if head.startswith("node-") or head == "node":
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.NODE)
    peer = _peer(raw, agent_id, rest)
    if peer is not None:
        return peer
    if len(rest) == 1 and head not in {"internal", "global", "unknown"}:
        # A configured `session.mainKey` other than "main" (e.g. `agent:main:work`).
        return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.MAIN)
    return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.OTHER)


def _peer(raw: str, agent_id: str, rest: list[str]) -> SessionKey | None:
    """`direct:<peer>`, `<channel>:direct:<peer>`, `<channel>:<account>:group:<id>[:topic:<t>]`…"""
    for i, part in enumerate(rest[:3]):
        kind = _PEER_KINDS.get(part)
        if kind is None or i + 1 >= len(rest):
            continue
        tail = rest[i + 1 :]
        thread = None
        if "topic" in tail:
            t = tail.index("topic")
            thread = ":".join(tail[t + 1 :]) or None
            tail = tail[:t]
        return SessionKey(
            raw=raw,
            agent_id=agent_id,
            kind=kind,
            channel=rest[0] if i >= 1 else None,
            account=rest[1] if i == 2 else None,
            peer=":".join(tail) or None,
            thread=thread,
        )
    return None


def _subagent(raw: str, agent_id: str, rest: list[str]) -> SessionKey:
    depth = sum(1 for p in rest if p == "subagent")
    last = len(rest) - 1 - rest[::-1].index("subagent")
    parent_rest = rest[:last]
    parent = "agent:" + agent_id + ":" + ":".join(parent_rest) if parent_rest else None
    return SessionKey(
        raw=raw, agent_id=agent_id, kind=SessionKind.SUBAGENT, parent_key=parent, spawn_depth=depth
    )


def _cron(raw: str, agent_id: str | None, rest: list[str]) -> SessionKey:
    job = rest[0] if rest and rest[0] else None
    if len(rest) >= 3 and rest[1] == "run":
        run = ":".join(rest[2:]) or None
        parent = ("agent:" + agent_id + ":cron:" + job) if agent_id and job else None
        return SessionKey(
            raw=raw,
            agent_id=agent_id,
            kind=SessionKind.CRON_RUN,
            job_id=job,
            run_session_id=run,
            parent_key=parent,
        )
    return SessionKey(raw=raw, agent_id=agent_id, kind=SessionKind.CRON, job_id=job)

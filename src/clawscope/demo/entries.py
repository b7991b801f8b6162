"""Session store entries (`sessions.json` values / `session_nodes.entry_json`) as each era writes them.

Field sets and order follow the real samples per kind: RUN-3.24 `sessions.json` (main, subagent,
cron, openai) and RUN-9.6 `entry_json` (main, subagent, openai). Group-chat fields (`chatType`,
`groupId`, `subject`, `origin`, `deliveryContext`) follow the documented `SessionEntry` type. The
counters keep OpenClaw's observed, misleading semantics on purpose (format doc §1.4): token counters
describe the last run only, `totalTokens` is the last call's context, `estimatedCostUsd` is the whole
session in 2026.3.x but only the last run in 2026.9.x. Readers must not sum them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clawscope.demo.catalog import Model
from clawscope.demo.jsonfmt import js_float
from clawscope.demo.session import RunStats

STATE_DIR = "/home/claw/.openclaw"
WORKSPACE = STATE_DIR + "/workspace"
_SKILLS = ("healthcheck", "weather", "tmux")


@dataclass(slots=True)
class Summary:
    """What a finished session tells its store entry."""

    kind: str  # main | channel | subagent | cron | openai
    agent_id: str
    key: str
    session_id: str
    file_name: str
    model: Model
    started_ms: int
    ended_ms: int
    run_started_ms: int
    run: RunStats
    cost_total: float
    compactions: int
    last_run_id: str | None = None
    label: str | None = None
    display_name: str | None = None
    parent_key: str | None = None
    channel: str | None = None
    peer: str | None = None
    chat_type: str | None = None
    elevated: bool = False
    spawn_depth: int = 1


def store_entry(version: int, s: Summary) -> dict[str, Any]:
    """The entry for `s.key` in the session store of the given transcript version's era."""
    e: dict[str, Any] = {"sessionId": s.session_id, "updatedAt": s.ended_ms + 30}
    if version >= 4:
        e.update(
            {
                "sessionStartedAt": s.started_ms,
                "delivery": {"kind": "none"},
                "lastInteractionAt": s.ended_ms,
                "activeWriterRunId": s.last_run_id,
            }
        )
    _lineage(version, s, e)
    _routing(s, e)
    if version < 4 and s.kind != "cron":
        e["sessionFile"] = f"{STATE_DIR}/agents/{s.agent_id}/sessions/{s.file_name}"
    if s.kind == "cron":
        e.update({"systemSent": True, "label": s.label})
    if s.kind == "main" and version < 4:
        e["skillsSnapshot"] = _skills()
    e.update({"model": s.model.id, "modelProvider": s.model.provider, "abortedLastRun": False})
    if s.elevated:
        e["elevatedLevel"] = "on"
    if version >= 4 and s.kind == "main" and s.display_name:
        e["displayName"] = s.display_name  # 2026.9.x names the main session after its first message
    _context(version, s, e)
    _counters(version, s, e)
    if s.kind != "cron":
        runtime = max(1, s.ended_ms - s.run_started_ms)
        e.update(
            {"status": "done", "startedAt": s.run_started_ms, "endedAt": s.ended_ms, "runtimeMs": runtime}
        )
    if version >= 4:
        e["lastRunId"] = s.last_run_id
    return e


def _context(version: int, s: Summary, e: dict[str, Any]) -> None:
    e["contextTokens"] = s.model.context_window
    if version >= 4:
        e.update(
            {
                "lastActivityAt": s.ended_ms,
                "contextTokensSource": "resolved",
                "agentHarnessId": "openclaw",
                "contextBudgetStatus": _budget(s),
            }
        )


def _counters(version: int, s: Summary, e: dict[str, Any]) -> None:
    """Token counters of the last run, `totalTokens` = last call's context, cost per era (module doc)."""
    r = s.run
    e.update(
        {
            "inputTokens": r.input,
            "outputTokens": r.output,
            "cacheRead": r.cache_read,
            "cacheWrite": r.cache_write,
            "estimatedCostUsd": js_float(r.cost if version >= 4 else s.cost_total),
            "totalTokens": r.last_context,
            "totalTokensFresh": True,
        }
    )
    if version >= 4:
        e["totalTokensVersion"] = 1
    if s.compactions:
        e["compactionCount"] = s.compactions


def _lineage(version: int, s: Summary, e: dict[str, Any]) -> None:
    if s.kind != "subagent":
        return
    e.update({"spawnDepth": s.spawn_depth, "subagentRole": "leaf", "subagentControlScope": "none"})
    if version >= 4:
        e.update(
            {
                "inheritedToolPolicyVersion": 1,
                "spawnedBy": s.parent_key,
                "completionOwnerSessionKey": s.parent_key,
                "parentSessionKey": s.parent_key,
                "spawnedWorkspaceDir": WORKSPACE,
                "thinkingLevel": "off",
                "fastMode": False,
                "label": s.label,
                "createdVia": "spawn",
                "createdActor": {"type": "agent", "id": s.agent_id},
                "createdAt": s.started_ms - 5,
            }
        )
    else:
        e.update(
            {
                "spawnedBy": s.parent_key,
                "spawnedWorkspaceDir": WORKSPACE,
                "deliveryContext": {"channel": "webchat"},
                "lastChannel": "webchat",
                "label": s.label,
                "channel": "webchat",
            }
        )


def _routing(s: Summary, e: dict[str, Any]) -> None:
    if s.kind == "main":
        e.update(
            {
                "chatType": "direct",
                "deliveryContext": {"channel": "webchat"},
                "lastChannel": "webchat",
                "origin": {"provider": "webchat", "surface": "webchat", "chatType": "direct"},
            }
        )
    elif s.kind == "channel":
        to = f"{s.channel}:{s.peer}"
        e.update(
            {
                "chatType": s.chat_type,
                "channel": s.channel,
                "groupId": s.peer,
                "subject": s.display_name,
                "displayName": s.display_name,
                "origin": {
                    "label": s.display_name,
                    "provider": s.channel,
                    "surface": s.channel,
                    "chatType": s.chat_type,
                    "from": f"{s.channel}:{s.chat_type}:{s.peer}",
                    "to": to,
                },
                "deliveryContext": {"channel": s.channel, "to": to},
                "lastChannel": s.channel,
                "lastTo": to,
            }
        )


def _budget(s: Summary) -> dict[str, Any]:
    window = s.model.context_window
    reserve = 20_000
    estimated = s.run.last_context
    return {
        "schemaVersion": 1,
        "source": "pre-prompt-estimate",
        "updatedAt": s.ended_ms - 50,
        "provider": s.model.provider,
        "model": s.model.id,
        "route": "fits",
        "shouldCompact": False,
        "estimatedPromptTokens": estimated,
        "contextTokenBudget": window,
        "promptBudgetBeforeReserve": window - reserve,
        "reserveTokens": reserve,
        "effectiveReserveTokens": reserve,
        "remainingPromptBudgetTokens": max(0, window - reserve - estimated),
        "overflowTokens": 0,
        "toolResultReducibleChars": 0,
        "messageCount": 0,
        "unwindowedMessageCount": 0,
        "sessionId": s.session_id,
    }


def _skills() -> dict[str, Any]:
    """A trimmed `skillsSnapshot` (the real one lists every bundled skill with its description)."""
    base = "/usr/lib/node_modules/openclaw/skills"
    blocks = "".join(
        f"  <skill>\n    <name>{n}</name>\n    <location>{base}/{n}/SKILL.md</location>\n  </skill>\n"
        for n in _SKILLS
    )
    resolved = [
        {
            "name": n,
            "filePath": f"{base}/{n}/SKILL.md",
            "baseDir": f"{base}/{n}",
            "source": "openclaw-bundled",
            "disableModelInvocation": False,
        }
        for n in _SKILLS
    ]
    prompt = (
        "\n\nThe following skills provide specialized instructions for specific tasks.\n"
        "Use the read tool to load a skill's file when the task matches its description.\n\n"
        f"<available_skills>\n{blocks}</available_skills>"
    )
    return {
        "prompt": prompt,
        "skills": [{"name": n} for n in _SKILLS],
        "resolvedSkills": resolved,
        "version": 0,
    }

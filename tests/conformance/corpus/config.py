"""The OpenClaw set-up the corpus is recorded with: agents, models, workspaces, persona files, home files.

Built on the conformance tier's openclaw.json (`occonfig.py`: the fake provider, the gateway on
loopback) with what the detection scenarios need:
* agents `main` (workspace `~/.openclaw/workspace`, OpenClaw's default), `ops` (model B), `support`
  (a customer-support persona: IDENTITY.md and SOUL.md in its workspace, as OpenClaw's templates lay
  them out), `scribe` (model `fake-small`, a 32k-token context window, for context pressure) and
  `intake` (may not run commands or write files: `tools.deny`); all workspaces live inside the state
  dir, so a recorded state dir carries the persona files;
* sub-agents may nest to depth 5 (2026.7.x defaults to 1) and an agent may spawn into another;
* plain compaction (`mode: default`: the safeguard mode's summary audit would reject the fake summaries)
  with a small reserve (2026.7.x reserves 16k tokens by default), so the small model compacts when it
  really fills up;
* `web_fetch` through a trusted env proxy: the fake web (`fakeweb.py`) answers for outside hosts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conformance.occonfig import (
    MAIN_AGENT,
    MODEL_A,
    MODEL_B,
    PROVIDER,
    SECOND_AGENT,
    Price,
    openclaw_config,
)
from tests.conformance.releases import AgentRoster, Era, Release

SUPPORT_AGENT = "support"
SCRIBE_AGENT = "scribe"
INTAKE_AGENT = "intake"  # may not run commands or write files (tools.deny); may delegate
MODEL_SMALL = "fake-small"
SMALL_WINDOW = 32000
SMALL_PRICE = Price(input=1.0, output=2.0, cache_read=0.1, cache_write=1.25)
WEB_PORT = 18998
WINDOWS = {MODEL_A: 128000, MODEL_B: 128000, MODEL_SMALL: SMALL_WINDOW}

WORKSPACES = {
    MAIN_AGENT: "workspace",
    SECOND_AGENT: "workspace-ops",
    SUPPORT_AGENT: "workspace-support",
    SCRIBE_AGENT: "workspace-scribe",
    INTAKE_AGENT: "workspace-intake",
}
DENIED_TO_INTAKE = ["exec", "process", "write", "edit", "apply_patch"]
AGENT_MODELS = {
    MAIN_AGENT: MODEL_A,
    SECOND_AGENT: MODEL_B,
    SUPPORT_AGENT: MODEL_A,
    SCRIBE_AGENT: MODEL_SMALL,
    INTAKE_AGENT: MODEL_A,
}

SUPPORT_IDENTITY = """# IDENTITY.md - Who Am I?

- **Name:** Crumb
- **Creature:** customer-support assistant of Harbor Street Bakery
- **Vibe:** warm, brief, practical
- **Emoji:** 🥐
"""

SUPPORT_SOUL = """# SOUL.md - Who You Are

You are Crumb, the customer-support assistant of Harbor Street Bakery (Portsmouth).

## Your job
- Orders: placing, changing and cancelling cake and bread orders, pick-up and delivery slots.
- Products: ingredients, allergens (nuts, gluten, dairy, eggs), prices, today's bake.
- The shop: opening hours (Tue-Sun 7:00-15:00), address (14 Harbor Street), catering for events.

## Boundaries
- Stay on bakery topics. Politely decline anything else (finance, medicine, law, politics, coding)
  and steer back to how you can help with an order.
- Never give investment, medical or legal advice.
- Friendly, short answers; no slang, no role-play as anyone else.
"""


def _model(model_id: str, price: Price, window: int) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": f"Fake {model_id}",
        "reasoning": False,
        "input": ["text"],
        "cost": {
            "input": price.input,
            "output": price.output,
            "cacheRead": price.cache_read,
            "cacheWrite": price.cache_write,
        },
        "contextWindow": window,
        "maxTokens": 2048 if window <= 32000 else 4096,
    }


def state_dir(home: Path) -> Path:
    return home / ".openclaw"


def workspace(home: Path, agent: str) -> Path:
    return state_dir(home) / WORKSPACES[agent]


def corpus_config(rel: Release, run_dir: Path, home: Path) -> dict[str, Any]:
    """The whole openclaw.json of a corpus recording."""
    config = openclaw_config(rel, run_dir)
    providers = config["models"]["providers"][PROVIDER]
    providers["models"].append(_model(MODEL_SMALL, SMALL_PRICE, SMALL_WINDOW))
    agents: dict[str, dict[str, Any]] = {
        agent: {
            "workspace": str(workspace(home, agent)),
            "model": f"{PROVIDER}/{AGENT_MODELS[agent]}",
            "subagents": {"allowAgents": ["*"]},
        }
        for agent in WORKSPACES
    }
    agents[INTAKE_AGENT]["tools"] = {"deny": DENIED_TO_INTAKE}
    defaults: dict[str, Any] = {
        "model": {"primary": f"{PROVIDER}/{MODEL_A}"},
        "workspace": str(workspace(home, MAIN_AGENT)),
        "heartbeat": {"every": "0m"},
        "subagents": {"maxSpawnDepth": 5, "maxChildrenPerAgent": 10, "runTimeoutSeconds": 120},
        "compaction": {"mode": "default", "reserveTokensFloor": 2000},
    }
    if rel.era is Era.JSONL:  # 2026.7.x reserves 16k tokens by default: the small model could take no prompt
        defaults["compaction"]["reserveTokens"] = 2000
    if rel.roster is AgentRoster.ENTRIES:
        defaults["systemAgent"] = {"agentId": MAIN_AGENT}
        config["agents"] = {"ownership": "explicit", "defaults": defaults, "entries": agents}
    else:
        roster = [{"id": a, **({"default": True} if a == MAIN_AGENT else {}), **v} for a, v in agents.items()]
        config["agents"] = {"defaults": defaults, "list": roster}
    config["tools"] = {"web": {"fetch": {"useTrustedEnvProxy": True, "cacheTtlMinutes": 0}}}
    return config


def write_setup(rel: Release, run_dir: Path, home: Path, files: dict[str, str]) -> Path:
    """openclaw.json, the workspaces with the persona files, and every scenario file (HOME-relative)."""
    state = state_dir(home)
    state.mkdir(parents=True, exist_ok=True)
    (run_dir / "logs").mkdir(parents=True, exist_ok=True)
    for agent in WORKSPACES:
        workspace(home, agent).mkdir(parents=True, exist_ok=True)
    support = workspace(home, SUPPORT_AGENT)
    (support / "IDENTITY.md").write_text(SUPPORT_IDENTITY)
    (support / "SOUL.md").write_text(SUPPORT_SOUL)
    for rel_path, text in files.items():
        path = home / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    path = state / "openclaw.json"
    path.write_text(json.dumps(corpus_config(rel, run_dir, home), indent=2) + "\n")
    return path


__all__ = ["MODEL_B", "SCRIBE_AGENT", "SUPPORT_AGENT", "corpus_config", "write_setup"]

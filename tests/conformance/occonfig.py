"""The openclaw.json the tier runs every release with, and the prices expected values are computed from.

One custom OpenAI-compatible provider (`fake`, the fake LLM on loopback) with two models at different
prices; two agents (`main` on model A, `ops` on model B); the gateway on loopback with token auth and the
OpenAI-compatible `/v1/chat/completions` endpoint on; update checks and recurring heartbeats off (a
heartbeat would make model calls no scenario asked for); the file log moved into the run folder
(OpenClaw otherwise writes the shared `/tmp/openclaw/`). The agent roster is written the way each release
documents it: `agents.entries` + `agents.ownership: "explicit"` in 2026.9.x, `agents.list` before
(`docs/gateway/config-agents/entries-and-multi-agent.md` resp. `docs/gateway/configuration-reference.md`
of the installed package).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conformance.releases import AgentRoster, Release

PROVIDER = "fake"
GATEWAY_PORT = 18789
LLM_PORT = 18999
GATEWAY_TOKEN = "conformance-gateway-token-7f3a"  # only valid inside a throw-away network namespace
MAIN_AGENT = "main"
SECOND_AGENT = "ops"


@dataclass(frozen=True)
class Price:
    """USD per million tokens, as OpenClaw's model catalog `cost` takes it."""

    input: float
    output: float
    cache_read: float
    cache_write: float


MODEL_A = "fake-a"
MODEL_B = "fake-b"
PRICES: dict[str, Price] = {
    MODEL_A: Price(input=3.0, output=15.0, cache_read=0.3, cache_write=3.75),
    MODEL_B: Price(input=0.5, output=1.5, cache_read=0.05, cache_write=0.625),
}
AGENT_MODEL = {MAIN_AGENT: MODEL_A, SECOND_AGENT: MODEL_B}


def _model_entry(model_id: str) -> dict[str, Any]:
    price = PRICES[model_id]
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
        "contextWindow": 128000,
        "maxTokens": 4096,
    }


def _agents(rel: Release, run_dir: Path) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "model": {"primary": f"{PROVIDER}/{MODEL_A}"},
        "workspace": str(run_dir / "workspace-main"),
        "heartbeat": {"every": "0m"},
    }
    agents = {
        MAIN_AGENT: {"workspace": str(run_dir / "workspace-main")},
        SECOND_AGENT: {"workspace": str(run_dir / "workspace-ops"), "model": f"{PROVIDER}/{MODEL_B}"},
    }
    if rel.roster is AgentRoster.ENTRIES:
        defaults["systemAgent"] = {"agentId": MAIN_AGENT}
        return {"ownership": "explicit", "defaults": defaults, "entries": agents}
    roster = [
        {"id": MAIN_AGENT, "default": True, **agents[MAIN_AGENT]},
        {"id": SECOND_AGENT, **agents[SECOND_AGENT]},
    ]
    return {"defaults": defaults, "list": roster}


def openclaw_config(rel: Release, run_dir: Path) -> dict[str, Any]:
    """The whole openclaw.json for one release's run folder."""
    return {
        "update": {"checkOnStart": False},
        "logging": {"file": str(run_dir / "logs" / "openclaw.log")},
        "agents": _agents(rel, run_dir),
        "models": {
            "mode": "merge",
            "providers": {
                PROVIDER: {
                    "baseUrl": f"http://127.0.0.1:{LLM_PORT}/v1",
                    "apiKey": "sk-fake-local",
                    "api": "openai-completions",
                    "models": [_model_entry(MODEL_A), _model_entry(MODEL_B)],
                }
            },
        },
        "gateway": {
            "mode": "local",
            "bind": "loopback",
            "port": GATEWAY_PORT,
            "auth": {"mode": "token", "token": GATEWAY_TOKEN},
            "http": {"endpoints": {"chatCompletions": {"enabled": True}}},
        },
    }


def write_config(rel: Release, run_dir: Path, state_dir: Path) -> Path:
    """Write `<state_dir>/openclaw.json` and create the folders it names."""
    for sub in ("workspace-main", "workspace-ops", "logs"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "openclaw.json"
    path.write_text(json.dumps(openclaw_config(rel, run_dir), indent=2) + "\n")
    return path

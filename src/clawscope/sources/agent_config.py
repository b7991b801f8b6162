"""What detectors need from an instance's `openclaw.json`: the config itself (bounded, never fatal),
each configured model's context window (`models.providers.<p>.models[].contextWindow`, capped by
`agents.defaults.contextTokens` when set, as OpenClaw caps a session's window) and each agent's tool
policy (`tools.*` and the agent's own `tools`, which `sandbox_escape` checks the calls against)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clawscope.model.detection import PolicyLayer, ToolPolicy
from clawscope.sources.layout import CONFIG_NAMES

CONFIG_MAX_BYTES = 4 * 1024 * 1024


def read_config(state_dir: Path) -> dict[str, Any]:
    """The state dir's `openclaw.json` (or a legacy name) as a dict; {} when absent or unreadable."""
    for name in CONFIG_NAMES:
        path = state_dir / name
        try:
            if not path.is_file() or path.stat().st_size > CONFIG_MAX_BYTES:
                continue
            data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, ValueError):
            continue
        return data if isinstance(data, dict) else {}
    return {}


def _dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def context_windows(config: dict[str, Any]) -> dict[str, int]:
    """Context window in tokens by "provider/model" and by bare model id (the first provider's wins)."""
    cap = _dict(_dict(config.get("agents")).get("defaults")).get("contextTokens")
    cap = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None
    out: dict[str, int] = {}
    for provider, spec in _dict(_dict(config.get("models")).get("providers")).items():
        models = _dict(spec).get("models")
        for m in models if isinstance(models, list) else ():
            model_id, window = _dict(m).get("id"), _dict(m).get("contextWindow")
            if not isinstance(model_id, str) or not isinstance(window, int) or isinstance(window, bool):
                continue
            if window <= 0:
                continue
            size = min(window, cap) if cap else window
            out[f"{provider}/{model_id}"] = size
            out.setdefault(model_id, size)
    return out


def _patterns(v: Any) -> tuple[str, ...]:
    return (
        tuple(str(p).strip().lower() for p in v if isinstance(p, str) and p.strip())
        if isinstance(v, list)
        else ()
    )


def _agent_entry(config: dict[str, Any], agent: str) -> dict[str, Any]:
    """The agent's own block: `agents.entries.<id>` (2026.9) or the legacy `agents.list[] {id}` roster."""
    agents = _dict(config.get("agents"))
    entry = _dict(_dict(agents.get("entries")).get(agent))
    if entry:
        return entry
    roster = agents.get("list")
    for a in roster if isinstance(roster, list) else ():
        if _dict(a).get("id") == agent:
            return _dict(a)
    return {}


def _layer(source: str, block: dict[str, Any], applies: str = "all") -> PolicyLayer | None:
    allow = block.get("allow")
    deny = _patterns(block.get("deny"))
    if not isinstance(allow, list) and not deny:
        return None
    return PolicyLayer(source, _patterns(allow) if isinstance(allow, list) else None, deny, applies)


def tool_policy(config: dict[str, Any], agent: str) -> ToolPolicy:
    """The agent's tool policy as OpenClaw filters it (docs/tools/multi-agent-sandbox-tools.md): the
    profile (the agent's overrides the global one) with `alsoAllow`, then global, agent, sandbox (the
    agent's `tools.sandbox.tools` replaces the global one) and sub-agent allow/deny layers. Provider
    layers (`byProvider`) are not read: a session's provider at call time is not certain from the config."""
    tools = _dict(config.get("tools"))
    entry = _agent_entry(config, agent)
    own = _dict(entry.get("tools"))
    profile = own.get("profile") if isinstance(own.get("profile"), str) else tools.get("profile")
    also = _patterns(tools.get("alsoAllow")) + _patterns(own.get("alsoAllow"))
    sandbox_tools = _dict(_dict(own.get("sandbox")).get("tools")) or _dict(
        _dict(tools.get("sandbox")).get("tools")
    )
    candidates = [
        _layer("tools", tools),
        _layer(f"agents.{agent}.tools", own),
        _layer("tools.sandbox.tools", sandbox_tools, "sandboxed"),
        _layer("tools.subagents.tools", _dict(_dict(tools.get("subagents")).get("tools")), "subagent"),
    ]
    security = _dict(own.get("exec")).get("security") or _dict(tools.get("exec")).get("security")
    mode = _dict(entry.get("sandbox")).get("mode") or _dict(
        _dict(_dict(config.get("agents")).get("defaults")).get("sandbox")
    ).get("mode")
    return ToolPolicy(
        profile=profile.strip().lower() if isinstance(profile, str) and profile.strip() else None,
        also_allow=also,
        layers=tuple(layer for layer in candidates if layer is not None),
        exec_security=security if isinstance(security, str) else None,
        sandbox_mode=mode if isinstance(mode, str) else None,
    )

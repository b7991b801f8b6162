"""An agent's workspace Markdown files (IDENTITY.md, SOUL.md, AGENTS.md, …), read from its state dir.

Persona and role detectors compare replies with what these files say the agent is. The workspace is
`agents.entries.<id>.workspace`, else `agents.defaults.workspace` of `openclaw.json`, else OpenClaw's
default (`<state>/workspace`, `<state>/workspace-<id>` for another agent). A state dir copied elsewhere
keeps its workspaces beside it while the config still names the old absolute path, so a configured path
outside the state dir is looked for by its folder name inside it. Nothing outside the state dir is ever
read, symlinks included; files are bounded in size and number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clawscope.sources.agent_config import read_config

MAX_FILE_BYTES = 64 * 1024
MAX_FILES = 16


def workspace_dir(state_dir: Path, agent_id: str, config: dict[str, Any]) -> Path | None:
    """The agent's workspace folder inside the state dir, or None when it has none there."""
    root = _resolved(state_dir)
    if root is None:
        return None
    agents = config.get("agents") if isinstance(config.get("agents"), dict) else {}
    assert isinstance(agents, dict)
    entries = agents.get("entries") if isinstance(agents.get("entries"), dict) else {}
    defaults = agents.get("defaults") if isinstance(agents.get("defaults"), dict) else {}
    entry = entries.get(agent_id) if isinstance(entries, dict) else None
    configured = entry.get("workspace") if isinstance(entry, dict) else None
    if not isinstance(configured, str) and isinstance(defaults, dict):
        default = defaults.get("workspace")
        configured = default if isinstance(default, str) and agent_id in ("main", None) else None
    candidates: list[Path] = []
    if isinstance(configured, str) and configured:
        p = Path(configured).expanduser()
        candidates += [p, root / p.name] if p.is_absolute() else [root / p]
    candidates += [root / "workspace"] if agent_id == "main" else [root / f"workspace-{agent_id}"]
    for c in candidates:
        r = _resolved(c)
        if r is not None and r.is_dir() and r.is_relative_to(root):
            return r
    return None


def workspace_files(state_dir: Path, agent_id: str, config: dict[str, Any] | None = None) -> dict[str, str]:
    """Name → text of the top-level Markdown files of the agent's workspace (bounded; {} when none)."""
    cfg = read_config(state_dir) if config is None else config
    folder = workspace_dir(state_dir, agent_id, cfg)
    root = _resolved(state_dir)
    if folder is None or root is None:
        return {}
    out: dict[str, str] = {}
    try:
        names = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".md")
    except OSError:
        return {}
    for path in names[:MAX_FILES]:
        real = _resolved(path)
        if real is None or not real.is_relative_to(root) or not real.is_file():
            continue
        try:
            with real.open("rb") as fh:
                out[path.name] = fh.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
    return out


def _resolved(path: Path) -> Path | None:
    try:
        return path.resolve(strict=False)
    except (OSError, RuntimeError):
        return None

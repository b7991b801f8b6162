"""What detectors need from an instance's `openclaw.json`: the config itself (bounded, never fatal) and
each configured model's context window (`models.providers.<p>.models[].contextWindow`, capped by
`agents.defaults.contextTokens` when set, as OpenClaw caps a session's window)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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

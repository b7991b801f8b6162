"""Whether a judge is configured, where it sends content, and its own spend today (for the dashboard).

The dashboard says plainly whether the semantic families run offline only (nothing leaves the machine)
or also ask a judge, which model at which host, and what the judge itself cost today, apart from the
agents' spend. The key is never read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clawscope.detect.judge.config import judge_config
from clawscope.detect.judge.run import DAY_MS
from clawscope.errors import ConfigError
from clawscope.store import Store


def judge_status(table: Mapping[str, Any], store: Store) -> dict[str, Any]:
    try:
        cfg = judge_config(table, {})
    except ConfigError as exc:
        return {"configured": False, "error": str(exc)}
    if cfg is None:
        return {"configured": False}
    now = store.clock()
    return {
        "configured": True,
        "model": cfg.model,
        "host": cfg.host,
        "dailyCapUsd": cfg.daily_cap_usd,
        "spendToday": store.judge.totals(now - now % DAY_MS),
    }

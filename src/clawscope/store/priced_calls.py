"""`Store.priced_calls`: the calls OpenClaw priced, summed per provider, model and UTC day (tokens and the
reported cost): what the reconciliation against the price table re-prices."""

from __future__ import annotations

from typing import Any

from clawscope.model import Filters
from clawscope.store.engine import Part
from clawscope.store.sql_filters import where


class PricedCalls(Part):
    def by_model_day(self, f: Filters) -> list[dict[str, Any]]:
        """`provider`, `model`, `day` (days since the epoch), `n` calls, token sums `i`/`o`/`r`/`w` and
        the reported `cost` (nano-dollars)."""
        p: dict[str, Any] = {}
        sql = (
            "SELECT l.provider, l.model, l.ts_ms / 86400000 AS day, count(*) AS n, sum(l.input) AS i, "
            "sum(l.output) AS o, sum(l.cache_read) AS r, sum(l.cache_write) AS w, sum(l.cost_total) AS cost "
            "FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
            f"WHERE l.cost_total > 0 AND l.ts_ms IS NOT NULL AND {where(f, 'l.ts_ms', p)} "
            "GROUP BY l.provider, l.model, l.ts_ms / 86400000"
        )
        return self._rows(sql, p)

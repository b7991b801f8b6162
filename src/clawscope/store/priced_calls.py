"""`Store.priced_calls`: the calls OpenClaw priced, summed per provider, model and UTC day (tokens and the
reported cost): what the reconciliation against the price table re-prices. Over whole UTC hours from
the roll-ups (rollup_priced.py), otherwise from the calls: the same rows."""

from __future__ import annotations

from typing import Any

from clawscope.model import Filters
from clawscope.store import rollup_priced, rollup_tools
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.sql_filters import where


class PricedCalls(SettledPart):  # reads roll-ups: settles what is owed first
    def by_model_day(self, f: Filters) -> list[dict[str, Any]]:
        """`provider`, `model`, `day` (days since the epoch), `n` calls, token sums `i`/`o`/`r`/`w` and
        the reported `cost` (nano-dollars), ordered by provider, model and day."""
        if rollup_tools.covers(f):
            with self._read() as conn:
                return rollup_priced.by_model_day(conn, f)
        return self.raw_by_model_day(f)

    def raw_by_model_day(self, f: Filters) -> list[dict[str, Any]]:
        """`by_model_day` from the calls themselves, whatever the period (the roll-ups' reference)."""
        p: dict[str, Any] = {}
        sql = (
            "SELECT l.provider, l.model, l.ts_ms / 86400000 AS day, count(*) AS n, sum(l.input) AS i, "
            "sum(l.output) AS o, sum(l.cache_read) AS r, sum(l.cache_write) AS w, sum(l.cost_total) AS cost "
            "FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
            f"WHERE l.cost_total > 0 AND l.ts_ms IS NOT NULL AND {where(f, 'l.ts_ms', p)} "
            "GROUP BY l.provider, l.model, l.ts_ms / 86400000 ORDER BY 1, 2, 3"
        )
        return self._rows(sql, p)

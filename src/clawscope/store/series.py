"""`Store.series`: a measure per time bucket and per value of one dimension, for the stacked charts.

`Store.totals.groups` answers one dimension at a time; a stacked chart needs two (day × model, hour ×
trigger, …). The per-hour roll-up (`rollup_hourly`, see rollup_hours.py) carries every attribute the
charts stack by, so one GROUP BY over it answers any whole-hour period exactly, whatever the number of
raw model calls. Per day, a period's whole days are read from `rollup_daily` and only its partial
days from `rollup_hourly` (as `rollup_totals` does): a day chart over months reads thousands of rows, not
hundreds of thousands. Buckets are integers (UTC hour or day numbers): labels are made by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clawscope.model import Filters
from clawscope.money import usd
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.rollup_totals import period_rows

HOUR_MS = 3_600_000
UNIT_MS = {"hour": HOUR_MS, "day": 24 * HOUR_MS}
STACKS = {
    "model": "r.model",
    "provider": "CASE WHEN r.provider = '' THEN 'unknown' ELSE r.provider END",
    "trigger": "r.trigger",
    "agent": "CASE WHEN r.agent = '' THEN 'unknown' ELSE r.agent END",
    "channel": "CASE WHEN r.channel = '' THEN 'none' ELSE r.channel END",
    "kind": "r.kind",
}
MEASURES = {  # money columns hold nano-dollars: `_MONEY` measures are converted to dollars on the way out
    "cost": "sum(r.cost)",  # reported cost, as `costUSD`
    "estimated": "sum(r.est_cost)",
    "tokens": "sum(r.total_tokens)",
    "calls": "sum(r.llm_calls)",
    "errors": "sum(r.errors)",
}
_MONEY = {"cost", "estimated"}


def _number(v: Any) -> float:
    return float(v or 0)


class Series(SettledPart):  # reads roll-ups: settles what is owed first
    def stacked(self, f: Filters, unit: str, stack: str, measure: str) -> list[dict[str, Any]]:
        """`[{"bucket": n, "key": value, "value": x}]`: `measure` per `unit` bucket (hour or day
        number since the epoch) and per value of `stack`, rows without a time left out. A period that
        does not start or end on a whole hour is widened to whole hours (the roll-up's grain)."""
        return [
            {"bucket": r["bucket"], "key": r["key"], "value": r[measure]}
            for r in self.stacked_many(f, unit, stack, (measure,))
        ]

    def stacked_many(
        self, f: Filters, unit: str, stack: str, measures: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """`stacked` of several measures in one pass over the roll-up (the Timeline page charts three):
        `[{"bucket": n, "key": value, measure: x, …}]`."""
        if (
            unit not in UNIT_MS
            or stack not in STACKS
            or not measures
            or any(m not in MEASURES for m in measures)
        ):
            raise ValueError(f"unknown series {unit}/{stack}/{measures}")
        since = None if f.since_ms is None else f.since_ms - f.since_ms % HOUR_MS
        until = None if f.until_ms is None else -(-f.until_ms // HOUR_MS) * HOUR_MS
        aligned = Filters(
            since_ms=since, until_ms=until, agent=f.agent, kind=f.kind, channel=f.channel, instance=f.instance
        )
        params: dict[str, Any] = {}
        source = period_rows(aligned, params, "hour" if unit == "hour" else None)
        values = ", ".join(f"{MEASURES[m]} AS m{i}" for i, m in enumerate(measures))
        sql = (
            f"SELECT r.hour_ms / {UNIT_MS[unit]} AS bucket, {STACKS[stack]} AS key, {values} "
            f"FROM {source} WHERE r.hour_ms >= 0 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        convert: list[Callable[[Any], float]] = [usd if m in _MONEY else _number for m in measures]
        return [
            {
                "bucket": int(r["bucket"]),
                "key": str(r["key"]),
                **{m: conv(r[f"m{i}"]) for i, (m, conv) in enumerate(zip(measures, convert, strict=True))},
            }
            for r in self._rows(sql, params)
        ]

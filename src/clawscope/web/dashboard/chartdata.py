"""The data of the interactive charts (drawn in the browser by uPlot, see static/charts.js).

A chart is a JSON document embedded in the page: the bucket times (every bucket of the period, empty
ones as zeros, so gaps show as gaps), one series per stacked value (the largest 7 and "other"), the
unit of the y axis, and for each series the query string of the sessions behind a bar (the page adds
the bucket's dates), so a click on any bar opens the Sessions page filtered to it. The per-bucket sums
of the stacks are the API's per-day (per-hour) totals: both come from the same roll-up.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from clawscope.model import Filters
from clawscope.store import Store

TOP = 7
MAX_BUCKETS = 1500  # an hourly chart of a long period turns daily
UNITS = {"cost": "USD", "tokens": "tokens", "calls": "calls", "errors": "errors"}
STACKS = ("model", "trigger", "agent", "channel")
_BUCKET_MS = {"hour": 3_600_000, "day": 86_400_000}


def stacked(store: Store, f: Filters, unit: str, stack: str, measure: str, now_ms: int) -> dict[str, Any]:
    """The chart document of `measure` per `unit` (hour or day; month charts are daily), stacked by
    `stack`. `empty` when nothing was recorded in the period."""
    return stacked_many(store, f, unit, stack, (measure,), now_ms)[measure]


def stacked_many(
    store: Store, f: Filters, unit: str, stack: str, measures: tuple[str, ...], now_ms: int
) -> dict[str, dict[str, Any]]:
    """`stacked` of each of `measures`, from one query (the Timeline page's three charts)."""
    unit = unit if unit in _BUCKET_MS else "day"
    rows = store.series.stacked_many(f, unit, stack, measures)
    if (
        rows
        and unit == "hour"
        and max(r["bucket"] for r in rows) - min(r["bucket"] for r in rows) > MAX_BUCKETS
    ):
        return stacked_many(store, f, "day", stack, measures, now_ms)
    return {m: _chart(rows, f, unit, stack, m, now_ms) for m in measures}


def _chart(
    rows: list[dict[str, Any]], f: Filters, unit: str, stack: str, measure: str, now_ms: int
) -> dict[str, Any]:
    if not rows:
        return {"empty": True, "unit": UNITS.get(measure, measure), "stack": stack, "bucket": unit}
    size = _BUCKET_MS[unit]
    first = min(r["bucket"] for r in rows)
    last = max(r["bucket"] for r in rows)
    start = first if f.since_ms is None else min(first, f.since_ms // size)
    end_ms = now_ms if f.until_ms is None else min(f.until_ms - 1, now_ms)
    end = max(last, end_ms // size)
    if end - start > MAX_BUCKETS:  # a long period with little data: from its first bucket with data
        start = min(first, max(start, end - MAX_BUCKETS))
    buckets = list(range(start, end + 1))
    totals: dict[str, float] = {}
    for r in rows:
        totals[r["key"]] = totals.get(r["key"], 0.0) + r[measure]
    keys = [k for k, _ in sorted(totals.items(), key=lambda kv: -kv[1])]
    shown, rest = keys[:TOP], set(keys[TOP:])
    index = {b: i for i, b in enumerate(buckets)}
    values = {k: [0.0] * len(buckets) for k in [*shown, *(["other"] if rest else [])]}
    for r in rows:
        if r["bucket"] in index:
            values["other" if r["key"] in rest else r["key"]][index[r["bucket"]]] += r[measure]
    series = [
        {"label": k, "values": v, "filter": "" if k == "other" else urlencode({stack: k})}
        for k, v in values.items()
    ]
    return {
        "empty": False,
        "unit": UNITS.get(measure, measure),
        "stack": stack,
        "bucket": unit,
        "x": [b * size // 1000 for b in buckets],  # epoch seconds, as uPlot wants
        "series": series,
    }

"""Pure arithmetic of the analytics: rates, percentiles, cost statistics, period deltas, the month-end
forecast and the spawn-tree roll-up. No I/O, so every number here is unit-tested by hand."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from clawscope.money import NANO_PER_USD, usd, usd_sum

__all__ = [
    "cache_hit_rate",
    "compare",
    "cost_stats",
    "cost_stats_in_usd",
    "cost_stats_nano",
    "forecast",
    "percentile",
    "roll_up",
    "tokens_per_dollar",
]


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolation percentile (the same rule as numpy's default and PostgreSQL's percentile_cont)."""
    if not sorted_values:
        return None
    k = (len(sorted_values) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo))


def cache_hit_rate(tokens_in: int, cache_read: int) -> float | None:
    """`cacheRead / (input + cacheRead)`: the share of prompt tokens served from the cache."""
    denominator = tokens_in + cache_read
    return None if denominator <= 0 else cache_read / denominator


def tokens_per_dollar(tokens: int, cost: float) -> float | None:
    return None if cost <= 0 else tokens / cost


def cost_stats(costs: Iterable[float]) -> dict[str, Any]:
    """Mean, p50, p90, p99 and max of per-session costs (linear-interpolation percentiles)."""
    values = sorted(costs)
    n = len(values)
    return {
        "count": n,
        "total": math.fsum(values),
        "mean": math.fsum(values) / n if n else None,
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": values[-1] if n else None,
    }


def cost_stats_nano(nanos: Iterable[int]) -> dict[str, Any]:
    """`cost_stats` of amounts in nano-dollars: sorted and summed as integers (exact), in dollars only
    at the end: over 100,000 sessions, converting each amount first was a third of `/stats/sessions`."""
    values = sorted(nanos)
    n = len(values)
    pcts = {f"p{p}": percentile(values, p) for p in (50, 90, 99)}
    return cost_stats_in_usd({"count": n, "total": sum(values), "max": values[-1] if n else None, **pcts})


def cost_stats_in_usd(nano: Mapping[str, Any]) -> dict[str, Any]:
    """The cost statistics in dollars from their aggregates in nano-dollars (`count`, `total`, `max` and
    `p50`/`p90`/`p99`), whether `cost_stats_nano` or the database computed them."""
    n = int(nano["count"])

    def dollars(key: str) -> float | None:
        v = nano[key]
        return None if v is None or not n else float(v) / NANO_PER_USD

    return {
        "count": n,
        "total": usd(nano["total"]),
        "mean": usd(nano["total"]) / n if n else None,
        "p50": dollars("p50"),
        "p90": dollars("p90"),
        "p99": dollars("p99"),
        "max": usd(nano["max"]) if n else None,
    }


def compare(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per numeric metric: current, previous, delta and delta % (None when the previous is 0)."""
    out: dict[str, dict[str, Any]] = {}
    for key, cur in current.items():
        prev = previous.get(key)
        if isinstance(cur, bool) or not isinstance(cur, int | float) or not isinstance(prev, int | float):
            continue
        delta = cur - prev
        out[key] = {
            "current": cur,
            "previous": prev,
            "delta": delta,
            "deltaPct": None if prev == 0 else delta / prev * 100,
        }
    return out


FORECAST_METHOD = (
    "linear run rate: month-to-date cost plus the mean daily cost of the month's complete days times "
    "the days left; 95% interval ±1.96 × the daily standard deviation × √(days left), assuming "
    "independent days (lower bound never below the month-to-date cost)"
)


def forecast(daily: list[float], month_to_date: float, days_left: float) -> dict[str, Any]:
    """Month-end cost from the complete days so far (`daily`), the cost to date and the days left.

    With fewer than two complete days the spread is unknown and the interval is None.
    """
    n = len(daily)
    mean = math.fsum(daily) / n if n else 0.0
    projected = month_to_date + mean * days_left
    interval: tuple[float, float] | None = None
    sd: float | None = None
    if n >= 2:
        sd = math.sqrt(math.fsum((d - mean) ** 2 for d in daily) / (n - 1))
        half = 1.96 * sd * math.sqrt(days_left)
        interval = (max(month_to_date, projected - half), projected + half)
    return {
        "method": FORECAST_METHOD,
        "monthToDateUSD": month_to_date,
        "dailyMeanUSD": mean,
        "dailyStdDevUSD": sd,
        "completeDays": n,
        "daysLeft": days_left,
        "projectedUSD": projected,
        "interval": None if interval is None else {"low": interval[0], "high": interval[1], "level": 0.95},
    }


_ROLLED = ("costUSD", "estimatedCostUSD", "llmCalls", "toolCalls", "tokensIn", "tokensOut")
_MONEY = ("costUSD", "estimatedCostUSD")  # added as nano-dollars: exact, whatever the tree's shape


def roll_up(nodes: list[dict[str, Any]], root_id: str) -> dict[str, Any]:
    """The spawn tree under `root_id`: each node gets `children` and `total` (its own metrics plus
    all its descendants'). `nodes` carry `sessionId`, `parentSessionId` and the metrics in `_ROLLED`;
    a parent link that would form a cycle is ignored."""
    by_id = {n["sessionId"]: {**n, "children": []} for n in nodes}
    if root_id not in by_id:
        raise KeyError(root_id)
    for node in by_id.values():
        parent = node.get("parentSessionId")
        if node["sessionId"] != root_id and parent in by_id and parent != node["sessionId"]:
            by_id[parent]["children"].append(node)

    seen: set[str] = set()

    def total(node: dict[str, Any]) -> dict[str, Any]:
        seen.add(node["sessionId"])
        sums = {k: node.get(k) or 0 for k in _ROLLED}
        kids = [c for c in node["children"] if c["sessionId"] not in seen]
        node["children"] = kids
        for child in sorted(kids, key=lambda c: (c.get("firstAt") or "", c["sessionId"])):
            sub = total(child)
            for k in _ROLLED:
                sums[k] = usd_sum(sums[k], sub[k]) if k in _MONEY else sums[k] + sub[k]
        node["children"].sort(key=lambda c: (c.get("firstAt") or "", c["sessionId"]))
        sums["sessions"] = 1 + sum(c["total"]["sessions"] for c in node["children"])
        node["total"] = sums
        return sums

    total(by_id[root_id])
    return by_id[root_id]

"""The reports behind `/api/v1/stats/*`: overview, groups, tools, session costs, period comparison,
month-end forecast and the reconciliation of reported against re-priced cost."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import msgspec

from clawscope import pricing
from clawscope.analytics.core import derived, grouped, iso, session_json, tool_groups, totals
from clawscope.analytics.metrics import (
    compare,
    cost_stats_in_usd,
    cost_stats_nano,
    forecast,
    percentile,
)
from clawscope.model import Filters
from clawscope.money import to_nano, usd, usd_sum
from clawscope.store import Store

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def period(f: Filters) -> dict[str, str | None]:
    return {"from": iso(f.since_ms), "to": iso(f.until_ms)}


def overview(store: Store, f: Filters) -> dict[str, Any]:
    """`GET /stats`: the period's totals and its days."""
    return {"period": period(f), "totals": totals(store, f), "byDay": grouped(store, f, "day")}


def by_dimension(store: Store, f: Filters, by: str) -> dict[str, Any]:
    return {"period": period(f), "by": by, "groups": grouped(store, f, by)}


def tools(store: Store, f: Filters, top: int = 10) -> dict[str, Any]:
    """Per tool: calls, errors, error rate, p50/p95 duration; and the most frequent failures."""
    found = tool_groups(store, f)
    failing = store.tools.top_failures(f, top)
    for g in found:
        g["errorRate"] = g["toolErrors"] / g["toolCalls"] if g["toolCalls"] else None
    return {
        "period": period(f),
        "durationRelativeError": store.tools.duration_error(f),
        "tools": found,
        "topFailing": [
            {
                "tool": r["tool"],
                "errorText": r["error_text"] or None,
                "count": int(r["n"]),
                "lastAt": iso(r["last_ms"]),
            }
            for r in failing
        ],
    }


def sessions_report(store: Store, f: Filters, top: int = 10) -> dict[str, Any]:
    """Per-session cost statistics, the costliest sessions, compactions and prompt sizes."""
    in_db = store.sessions.cost_stats(f)  # PostgreSQL computes them; SQLite's amounts are sorted here
    stats = cost_stats_in_usd(in_db) if in_db is not None else cost_stats_nano(store.sessions.costs(f))
    top_rows = store.sessions.active(f, top, order="total_cost")
    comp = store.context.compactions(f)
    prompts = store.context.prompt_sizes(f)
    return {
        "period": period(f),
        "costStats": stats,
        "top": [session_json(r) for r in top_rows],
        "context": {
            "compactions": int(comp["n"] or 0),
            "sessionsWithCompactions": int(comp["sessions"] or 0),
            "avgTokensBeforeCompaction": None if comp["avg_before"] is None else float(comp["avg_before"]),
            "maxTokensBeforeCompaction": None if comp["max_before"] is None else int(comp["max_before"]),
            "avgPromptTokens": None if prompts["avg_prompt"] is None else float(prompts["avg_prompt"]),
            "maxPromptTokens": None if prompts["max_prompt"] is None else int(prompts["max_prompt"]),
        },
    }


def previous_period(since_ms: int, until_ms: int) -> tuple[int, int]:
    """The period of the same length just before [since, until)."""
    return since_ms - (until_ms - since_ms), since_ms


def compare_periods(store: Store, f: Filters) -> dict[str, Any]:
    """This period against the one of the same length just before it, with deltas."""
    assert f.since_ms is not None
    assert f.until_ms is not None
    since, until = previous_period(f.since_ms, f.until_ms)
    prev_f = msgspec.structs.replace(f, since_ms=since, until_ms=until)
    cur, prev = totals(store, f), totals(store, prev_f)
    return {
        "current": {"period": period(f), "totals": cur},
        "previous": {"period": period(prev_f), "totals": prev},
        "deltas": compare(cur, prev),
    }


def month_forecast(store: Store, f: Filters, at_ms: int) -> dict[str, Any]:
    """Month-end cost (reported plus estimated) of the month containing `at_ms`."""
    at = datetime.fromtimestamp(at_ms / 1000, UTC)
    start = datetime(at.year, at.month, 1, tzinfo=UTC)
    days_in_month = calendar.monthrange(at.year, at.month)[1]
    start_ms = int(start.timestamp() * 1000)
    end_ms = start_ms + days_in_month * DAY_MS
    today_ms = start_ms + (at_ms - start_ms) // DAY_MS * DAY_MS
    hour_ms = at_ms // HOUR_MS * HOUR_MS  # roll-ups answer whole hours
    mtd_f = msgspec.structs.replace(f, since_ms=start_ms, until_ms=hour_ms)
    days = {g["key"]: g for g in grouped(store, mtd_f, "day")} if hour_ms > start_ms else {}
    mtd = totals(store, mtd_f) if hour_ms > start_ms else derived(store.totals.empty())
    complete = (today_ms - start_ms) // DAY_MS
    daily = []
    for i in range(complete):
        key = datetime.fromtimestamp((start_ms + i * DAY_MS) / 1000, UTC).strftime("%Y-%m-%d")
        g = days.get(key)
        daily.append(0.0 if g is None else usd_sum(g["costUSD"], g["estimatedCostUSD"]))
    spent = usd_sum(mtd["costUSD"], mtd["estimatedCostUSD"])
    days_left = (end_ms - hour_ms) / DAY_MS
    out = forecast(daily, spent, days_left)
    return {
        "month": start.strftime("%Y-%m"),
        "asOf": iso(hour_ms),
        "period": {"from": iso(start_ms), "to": iso(end_ms)},
        **out,
    }


RECONCILIATION_METHOD = (
    "calls OpenClaw priced (usage.cost.total > 0), re-priced with the bundled genai-prices table "
    "effective on each call's UTC day, per provider, model and day at the day's average prompt size "
    "(tiered prices use that average); driftUSD = repricedUSD - reportedUSD"
)


def _reprice(rates: pricing.Rates, n: int, i: int, o: int, r: int, w: int) -> float:
    """The cost of `n` calls with these token sums: exact for flat prices; tiered prices are decided
    by the average prompt."""
    tiers = (rates.input, rates.output, rates.cache_read, rates.cache_write)
    if all(len(t) <= 1 for t in tiers):
        return rates.cost(i, o, r, w)
    return n * rates.cost(round(i / n), round(o / n), round(r / n), round(w / n))


def reconciliation(store: Store, f: Filters) -> dict[str, Any]:
    """Reported vs re-priced cost per model, so drift between OpenClaw and the price table shows."""
    rows = store.priced_calls.by_model_day(f)
    models: dict[tuple[str | None, str | None], dict[str, Any]] = {}
    nano: dict[tuple[str | None, str | None], list[int]] = {}  # reported, re-priced: summed exactly
    for r in rows:
        key = (r["provider"], r["model"])
        m = models.setdefault(
            key,
            {
                "provider": key[0],
                "model": key[1],
                "calls": 0,
                "reportedUSD": 0.0,
                "repricedUSD": 0.0,
                "unpricedCalls": 0,
                "priceRef": None,
            },
        )
        n = int(r["n"])
        m["calls"] += n
        sums = nano.setdefault(key, [0, 0])
        sums[0] += int(r["cost"] or 0)
        m["reportedUSD"] = usd(sums[0])
        rates = pricing.rates_for(r["provider"], r["model"], int(r["day"]))
        if rates is None:
            m["unpricedCalls"] += n
            continue
        m["priceRef"] = rates.ref
        sums[1] += to_nano(_reprice(rates, n, int(r["i"]), int(r["o"]), int(r["r"]), int(r["w"])))
        m["repricedUSD"] = usd(sums[1])
    out = []
    for k, m in models.items():
        priced = m["calls"] > m["unpricedCalls"]
        m["driftUSD"] = usd(nano[k][1] - nano[k][0]) if priced else None
        m["driftPct"] = (
            m["driftUSD"] / m["reportedUSD"] * 100
            if priced and m["reportedUSD"] and not m["unpricedCalls"]
            else None
        )
        if not priced:
            m["repricedUSD"] = None
        out.append(m)
    out.sort(key=lambda m: (-m["reportedUSD"], str(m["model"])))
    return {"period": period(f), "method": RECONCILIATION_METHOD, "models": out}


__all__ = [
    "by_dimension",
    "compare_periods",
    "month_forecast",
    "overview",
    "percentile",
    "reconciliation",
    "sessions_report",
    "tools",
]

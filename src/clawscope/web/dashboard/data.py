"""What each page shows, composed from the analytics functions the JSON API uses (no query of its own).

The only arithmetic here is presentation: rates from totals and a spawn tree summed from session rows.
The forecast is the API's (`analytics.reports.month_forecast`), not a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from clawscope import analytics
from clawscope.analytics import browse, reports
from clawscope.money import usd, usd_sum
from clawscope.store import Store
from clawscope.timeutil import parse_iso_ms
from clawscope.web.dashboard import replay
from clawscope.web.dashboard.period import DAY_MS, Period, parse_period

SESSION_SORTS = {
    "last": "lastAt",
    "first": "firstAt",
    "cost": "costUSD",
    "tokens": "totalTokens",
    "tools": "toolCalls",
    "errors": "errors",
    "calls": "llmCalls",
    "duration": "durationS",
    "agent": "agent",
    "kind": "kind",
    "channel": "channel",
    "model": "model",
    "trigger": "trigger",
}


def rates(t: dict[str, Any]) -> dict[str, float | None]:
    """Cache hit rate (cache reads over all prompt tokens) and error rate (failed over all model calls)."""
    prompt = t["tokensIn"] + t["cacheRead"]
    return {
        "cacheHitRate": t["cacheRead"] / prompt if prompt else None,
        "errorRate": t["errors"] / t["llmCalls"] if t["llmCalls"] else None,
    }


COMPARED = ("costUSD", "sessions", "messages", "llmCalls", "toolCalls", "tokensIn", "tokensOut", "errors")
# the comparison table's rows: (measure, label, format)
COMPARED_ROWS = (
    ("costUSD", "Cost", "usd"),
    ("sessions", "Sessions", "num"),
    ("llmCalls", "Model calls", "num"),
    ("toolCalls", "Tool calls", "num"),
    ("errors", "Failed model calls", "num"),
)


def change(now: float, before: float) -> float | None:
    """The relative change from the previous period (None when it had nothing to compare with)."""
    return None if not before else (now - before) / before


def overview(store: Store, period: Period, now_ms: int) -> dict[str, Any]:
    stats = analytics.stats(store, period.filters(), "trigger")
    windows = {}
    for key in ("today", "7d", "30d", "all"):
        p = parse_period(key, None, None, now_ms)
        windows[key] = usd(store.totals.spend(p.filters())[0])  # as the totals' costUSD
    before = period.previous(now_ms)
    prev = analytics.stats(store, before.filters())["totals"] if before is not None else None
    return {
        "totals": stats["totals"],
        "previous": prev,
        "previousPeriod": before,
        "comparedRows": COMPARED_ROWS,
        "change": {k: change(stats["totals"][k], prev[k]) for k in COMPARED} if prev else {},
        "rates": rates(stats["totals"]),
        "windows": windows,
        "byTrigger": stats["groups"],
        "top": overview_top(store, period),
    }


def overview_top(store: Store, period: Period) -> list[dict[str, Any]]:
    """The overview's most expensive sessions (reported cost)."""
    return analytics.sessions(store, period.filters(), limit=10, order="cost")


def comparison(store: Store, period: Period, now_ms: int) -> list[dict[str, Any]]:
    """The overview's comparison with the previous period, one row per measure (none for all time)."""
    d = overview(store, period, now_ms)
    if not d["previous"]:
        return []
    return [
        {"measure": k, "current": d["totals"][k], "previous": d["previous"][k], "change": d["change"][k]}
        for k, _label, _fmt in COMPARED_ROWS
    ]


def timeline(store: Store, period: Period, unit: str) -> dict[str, Any]:
    return analytics.stats(store, period.filters(), unit)


def models(store: Store, period: Period) -> dict[str, Any]:
    # the groups only: the page shows no totals (computing them twice was 40 of its 75 ms)
    return {
        "models": analytics.grouped(store, period.filters(), "model"),
        "providers": analytics.grouped(store, period.filters(), "provider"),
    }


def tools(store: Store, period: Period) -> dict[str, Any]:
    stats = analytics.stats(store, period.filters(), "tool")
    return {
        "totals": stats["totals"],
        "tools": stats["groups"],
        "failures": [
            {**f, "error": replay.unwrapped(f["tool"], f["error"])[1] if f["error"] else f["error"]}
            for f in analytics.failed_tool_calls(store, period.filters(), limit=50)
        ],  # a wrapped tool's error as its own text, not the wrapper's JSON
    }


def _duration_s(s: dict[str, Any]) -> float:
    if not s["firstAt"] or not s["lastAt"]:
        return 0.0
    return (parse_iso_ms(s["lastAt"]) - parse_iso_ms(s["firstAt"])) / 1000


# The Sessions page's filters (URL parameters): session attributes, and what its sessions used
SESSION_FILTERS = ("agent", "kind", "channel", "model", "trigger", "provider", "tool")
_ATTRS = ("agent", "kind", "channel")


def sessions(
    store: Store,
    period: Period,
    search: str,
    sort: str,
    desc: bool,
    eq: Mapping[str, str | None],
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Sessions active in the period with the attributes of `eq` (SESSION_FILTERS), sorted (a name of
    SESSION_SORTS), `limit` of them from `offset` (all without a limit). `model`: sessions that called
    it (as `GET /api/v1/sessions?model=`), `provider`: one of its models, `tool`: it in the period;
    `trigger`: sessions of that trigger. The store filters, sorts and pages."""
    f = period.filters(**{k: eq.get(k) for k in _ATTRS})
    rows = browse.listing(
        store, f, search, eq.get("model"), eq.get("trigger"), sort, desc, limit, offset,
        provider=eq.get("provider"), tool=eq.get("tool"),
    )  # fmt: skip
    for r in rows:
        r["durationS"] = _duration_s(r)
    return rows


def session_count(store: Store, period: Period, search: str, eq: Mapping[str, str | None]) -> int:
    """How many sessions `sessions` lists with these filters."""
    f = period.filters(**{k: eq.get(k) for k in _ATTRS})
    return browse.count(
        store, f, search, eq.get("model"), eq.get("trigger"), provider=eq.get("provider"), tool=eq.get("tool")
    )


def spawn_tree(store: Store, session_id: str) -> dict[str, Any] | None:
    """The spawn tree the session belongs to (from its root), each node with its cost rolled up."""
    found = browse.family(store, session_id)
    if not found:
        return None
    root, rows = found[0], {r["sessionId"]: r for r in found}
    children: dict[str, list[dict[str, Any]]] = {}
    for r in rows.values():
        if r["parentSessionId"]:
            children.setdefault(r["parentSessionId"], []).append(r)

    def node(r: dict[str, Any], depth: int) -> dict[str, Any]:
        below = [] if depth > 20 else children.get(r["sessionId"], [])  # a cycle of parents ends here
        kids = [node(c, depth + 1) for c in sorted(below, key=lambda c: c["firstAt"] or "")]
        return {
            "session": r,
            "children": kids,
            "rolledUpCostUSD": usd_sum(r["costUSD"], *(k["rolledUpCostUSD"] for k in kids)),
        }

    return node(root, 0)


def agents(store: Store, period: Period) -> list[dict[str, Any]]:
    out = []
    for group in analytics.stats(store, period.filters(), "agent")["groups"]:
        g = dict(group)
        g["costPerSession"] = g["costUSD"] / g["sessions"] if g["sessions"] else None
        g.update(rates(g))
        out.append(g)
    return out


def forecast(store: Store, at_ms: int) -> dict[str, Any]:
    """The month-end forecast of `GET /api/v1/stats/forecast` (`analytics.reports.month_forecast`: its
    method and 95 % interval are in the answer), and the month's days so far for its chart (reported
    plus estimated cost per UTC day, zero for a day without any, as the forecast counts them)."""
    f = reports.month_forecast(store, analytics.Filters(), at_ms)
    start, as_of = parse_iso_ms(f["period"]["from"]), parse_iso_ms(f["asOf"])
    days = {}
    if as_of > start:
        window = analytics.Filters(since_ms=start, until_ms=as_of)
        groups = analytics.grouped(store, window, "day")
        days = {g["key"]: usd_sum(g["costUSD"], g["estimatedCostUSD"]) for g in groups}
    history = []
    for ms in range(start, as_of, DAY_MS):
        day = datetime.fromtimestamp(ms / 1000, UTC)
        history.append((day.strftime("%m-%d"), days.get(day.strftime("%Y-%m-%d"), 0.0)))
    return {**f, "history": history}

"""The rule types, one protocol: each checks its settings and, evaluated at a moment, says which scopes
fire now (`Signal`s). Whatever fired before and is not among them resolves; grouping, cooldown,
silences and delivery are the evaluator's, the same for every type.

`threshold` and `budget` are here; `anomaly` (robust z-score) and `finding` (detection findings) in
their own modules. A new type is a class with `name`, `validate` and `evaluate`, added to
`registry.RULE_TYPES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from clawscope.alerts.rules import (
    OPS,
    PERIODS,
    SESSION_MEASURES,
    WINDOW_MEASURES,
    Rule,
    check_measure,
    window_ms,
)
from clawscope.analytics.core import derived, grouped, totals
from clawscope.analytics.reports import month_forecast
from clawscope.errors import UsageError
from clawscope.model import Filters
from clawscope.model.detection import Finding
from clawscope.money import usd, usd_sum
from clawscope.store import Store

DIRECT = ("agent", "kind", "channel", "instance")  # scope dimensions `Filters` takes as they are


@dataclass(frozen=True)
class Signal:
    """A scope of a rule that fires now: its value and a one-line message."""

    scope: str
    value: float | None
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What an evaluation reads: the store, "now" (epoch ms, injected), and the detection findings
    seen since a moment (None until detection stores findings)."""

    store: Store
    now_ms: int
    findings: Callable[[int], Iterable[Finding]] | None = None
    # answers shared by the rules of one evaluation (many rules ask for the same window and scope)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def scoped(self, since: int | None, scope: dict[str, str]) -> dict[str, Any]:
        """`scoped()` totals from `since` to now, asked once per evaluation."""
        key = ("scoped", since, tuple(sorted(scope.items())))
        if key not in self.memo:
            self.memo[key] = scoped(self.store, since, self.now_ms + 1, scope, self.memo)
        found: dict[str, Any] = self.memo[key]
        return found

    def sessions(self, since: int, scope: dict[str, str]) -> list[dict[str, Any]]:
        """Sessions active from `since` to now (narrowed by the direct scope), asked once per evaluation."""
        direct = {k: v for k, v in scope.items() if k in DIRECT and v != "*"}
        key = ("sessions", since, tuple(sorted(direct.items())))
        if key not in self.memo:
            self.memo[key] = self.store.sessions.active(filters(direct, since, self.now_ms + 1))
        rows: list[dict[str, Any]] = self.memo[key]
        return rows


class RuleType(Protocol):
    name: str

    def validate(self, rule: Rule) -> None:
        """Raise `UsageError` for settings this type cannot evaluate."""

    def evaluate(self, ctx: Context, rule: Rule) -> list[Signal]:
        """The scopes that fire at `ctx.now_ms`."""


def period_start(now_ms: int, period: str) -> int:
    """Start (ms) of the UTC calendar day, week (Monday) or month holding `now_ms`."""
    at = datetime.fromtimestamp(now_ms / 1000, UTC)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return int(day.timestamp() * 1000)


def since_ms(now_ms: int, window: str) -> int:
    span = window_ms(window)
    return period_start(now_ms, window) if span is None else now_ms - span


HOUR_MS = 3_600_000
_ADDITIVE = (
    "messages", "llmCalls", "toolCalls", "toolErrors", "tokensIn", "tokensOut", "cacheRead", "cacheWrite",
    "totalTokens", "costUSD", "estimatedCostUSD", "errors",
)  # fmt: skip


def pieces(since: int | None, until: int) -> list[tuple[int | None, int]]:
    """[since, until) cut at whole hours: the whole hours are read from the roll-ups (fast), only the
    partial hours at either end from the rows."""
    top = until // HOUR_MS * HOUR_MS
    start = None if since is None else -(-since // HOUR_MS) * HOUR_MS
    if start is not None and start >= top:
        return [(since, until)]
    out: list[tuple[int | None, int]] = []
    if since is not None and start is not None and since < start:
        out.append((since, start))
    out.append((start, top))
    if top < until:
        out.append((top, until))
    return out


def scoped(
    store: Store,
    since: int | None,
    until: int,
    scope: dict[str, str],
    memo: dict[tuple[Any, ...], Any] | None = None,
) -> dict[str, Any]:
    """Totals per scope label (`""` for everything; `agent=main`; `model=x` per value when grouped), summed
    over the hour-aligned pieces of the period (`pieces`). With a `memo` (one evaluation's), the rules
    scoped by one agent each share one query per piece grouped by agent."""
    out: dict[str, Any] = {}
    for s, u in pieces(since, until):
        for label, t in _scoped(store, s, u, scope, memo).items():
            have = out.get(label)
            if have is None:
                out[label] = dict(t)
            else:
                for k in _ADDITIVE:
                    have[k] += t[k]
    return {label: derived(t) for label, t in out.items()}


def _scoped(
    store: Store,
    since: int | None,
    until: int | None,
    scope: dict[str, str],
    memo: dict[tuple[Any, ...], Any] | None = None,
) -> dict[str, Any]:
    direct = {k: v for k, v in scope.items() if k in DIRECT and v != "*"}
    f = filters(direct, since, until)
    base = [f"{k}={v}" for k, v in sorted(direct.items())]
    group = next((k for k, v in scope.items() if k not in DIRECT or v == "*"), None)
    if group is None and memo is not None and list(direct) == ["agent"] and direct["agent"] != "unknown":
        # many rules watch one agent each over the same windows: one grouped query serves them all
        # (group keys are the agent ids; only agentless rows are named "unknown", hence not shared)
        key = ("by-agent", since, until)
        if key not in memo:
            memo[key] = {g["key"]: g for g in grouped(store, filters({}, since, until), "agent")}
        found = memo[key].get(direct["agent"])
        return {base[0]: found if found is not None else derived(store.totals.empty())}
    if group is None:
        return {",".join(base): totals(store, f)}
    want = scope[group]
    out = {
        ",".join([*base, f"{group}={g['key']}"]): g
        for g in grouped(store, f, group)
        if want in ("*", g["key"])
    }
    if want != "*" and not out:
        out[",".join([*base, f"{group}={want}"])] = derived(store.totals.empty())
    return out


def filters(scope: dict[str, str], since: int | None = None, until: int | None = None) -> Filters:
    """`Filters` of a period narrowed by the direct scope dimensions (agent, kind, channel, instance)."""
    d = {k: v for k, v in scope.items() if k in DIRECT and v != "*"}
    return Filters(
        since_ms=since, until_ms=until, agent=d.get("agent"), kind=d.get("kind"), channel=d.get("channel"),
        instance=d.get("instance"),
    )  # fmt: skip


def measure_of(t: dict[str, Any], measure: str) -> float | None:
    """One measure of a totals dict (None when a rate has no denominator)."""
    if measure == "cost":
        return usd_sum(t["costUSD"], t["estimatedCostUSD"])
    if measure == "tokens":
        return float(t["tokensIn"] + t["tokensOut"] + t["cacheRead"] + t["cacheWrite"])
    if measure == "calls":
        return float(t["llmCalls"])
    if measure == "errors":
        return float(t["errors"])
    if measure == "error_rate":
        return t["errors"] / t["llmCalls"] if t["llmCalls"] else None
    if measure == "tool_error_rate":
        return t["toolErrors"] / t["toolCalls"] if t["toolCalls"] else None
    if measure == "cache_hit_rate":
        rate = t.get("cacheHitRate")
        return None if rate is None else float(rate)
    raise ValueError(measure)


def crosses(value: float, op: str, threshold: float) -> bool:
    return {
        ">": value > threshold,
        ">=": value >= threshold,
        "<": value < threshold,
        "<=": value <= threshold,
    }[op]


def fmt(measure: str, value: float) -> str:
    if "cost" in measure:
        return f"${value:,.2f}"
    if measure.endswith("rate"):
        return f"{value:.1%}"
    return f"{value:,.0f}"


class Threshold:
    name = "threshold"

    def validate(self, rule: Rule) -> None:
        check_measure(rule.measure, SESSION_MEASURES + WINDOW_MEASURES)
        if rule.threshold is None:
            raise UsageError("a threshold rule needs a threshold")
        if rule.threshold < 0:
            raise UsageError(f"threshold must not be negative, not {rule.threshold:g}")
        if rule.measure is not None and rule.measure.endswith("rate") and rule.threshold > 1:
            raise UsageError("a rate threshold is a fraction between 0 and 1")
        if rule.op not in OPS:
            raise UsageError(f"unknown op {rule.op!r}; known: {', '.join(OPS)}")
        window_ms(rule.window)

    def evaluate(self, ctx: Context, rule: Rule) -> list[Signal]:
        assert rule.measure is not None
        assert rule.threshold is not None
        since = since_ms(ctx.now_ms, rule.window)
        if rule.measure in SESSION_MEASURES:
            return self._sessions(ctx, rule, since)
        out = []
        for label, t in ctx.scoped(since, rule.scope).items():
            value = measure_of(t, rule.measure)
            if value is not None and crosses(value, rule.op, rule.threshold):
                msg = (
                    f"{rule.measure} {fmt(rule.measure, value)} {rule.op} {fmt(rule.measure, rule.threshold)}"
                    f" over {rule.window}" + (f" ({label})" if label else "")
                )
                out.append(Signal(label, value, msg, {"measure": rule.measure, "window": rule.window}))
        return out

    def _sessions(self, ctx: Context, rule: Rule, since: int) -> list[Signal]:
        assert rule.measure is not None
        assert rule.threshold is not None
        rows = ctx.sessions(since, rule.scope)
        out = []
        for r in rows:
            if any(
                v != "*" and r.get({"provider": "model_provider"}.get(k, k)) != v
                for k, v in rule.scope.items()
                if k not in DIRECT
            ):
                continue
            if rule.measure == "session_cost":
                value = usd(int(r["cost_usd"]) + int(r["est_cost_usd"]))  # stored in nano-dollars
            else:
                value = float(r["tokens_in"] + r["tokens_out"] + r["cache_read"] + r["cache_write"])
            if crosses(value, rule.op, rule.threshold):
                sid = r["session_id"]
                what = "cost" if rule.measure == "session_cost" else "tokens"
                msg = (
                    f"session {sid} ({r['agent_id'] or '?'}, {r['trigger']}) {what} "
                    f"{fmt(rule.measure, value)} {rule.op} {fmt(rule.measure, rule.threshold)}"
                )
                detail = {
                    "sessionId": sid,
                    "agent": r["agent_id"],
                    "key": r["key"],
                    "instance": r["instance"],
                }
                out.append(Signal(f"session={sid}", value, msg, detail))
        return out


class Budget:
    name = "budget"

    def validate(self, rule: Rule) -> None:
        if rule.amount is None or rule.amount <= 0:
            raise UsageError("a budget needs a positive amount (USD)")
        if rule.period not in PERIODS:
            raise UsageError(f"unknown budget period {rule.period!r}; known: {', '.join(PERIODS)}")
        if any(k not in DIRECT or v == "*" for k, v in rule.scope.items()) and rule.forecast:
            raise UsageError("a budget forecast is per agent, kind, channel or instance (no model/'*' scope)")

    def evaluate(self, ctx: Context, rule: Rule) -> list[Signal]:
        assert rule.amount is not None
        since = period_start(ctx.now_ms, rule.period)
        out = []
        for label, t in ctx.scoped(since, rule.scope).items():
            spent = measure_of(t, "cost") or 0.0
            where = f" ({label})" if label else ""
            if spent >= rule.amount:
                msg = f"{rule.period} budget reached: spent ${spent:,.2f} of ${rule.amount:,.2f}{where}"
                out.append(Signal(_join(label, "spent"), spent, msg, {"period": rule.period, "spent": spent}))
        if rule.forecast and rule.period == "month":
            direct = {k: v for k, v in rule.scope.items() if k in DIRECT}
            key = ("forecast", tuple(sorted(direct.items())))
            if key not in ctx.memo:
                ctx.memo[key] = month_forecast(ctx.store, filters(direct), ctx.now_ms)
            fc = ctx.memo[key]
            projected = float(fc["projectedUSD"])
            label = ",".join(f"{k}={v}" for k, v in sorted(direct.items()))
            if projected > rule.amount and fc["completeDays"] >= 1:
                msg = f"at this rate the month ends at ${projected:,.2f}, budget ${rule.amount:,.2f}" + (
                    f" ({label})" if label else ""
                )
                detail = {
                    "forecast": {k: fc[k] for k in ("month", "projectedUSD", "monthToDateUSD", "method")}
                }
                out.append(Signal(_join(label, "forecast"), projected, msg, detail))
        return out


def _join(label: str, part: str) -> str:
    return f"{label},{part}" if label else part

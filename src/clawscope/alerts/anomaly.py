"""Anomaly rules: cost or model calls against the scope's own recent baseline, with no hand-set threshold.

Method (robust z-score, Iglewicz and Hoaglin's modified z): the value is the measure summed over the
last `hours` hours (the current, partial hour included); the baseline is the same `hours`-hour sum
ending at every whole hour of the `baseline_days` days before that window. With m the baseline's
median and MAD its median absolute deviation from m,

    z = 0.6745 × (value − m) / MAD

(0.6745 makes the MAD comparable to a standard deviation for normal data). When more than half of the
baseline is identical (MAD = 0) the mean absolute deviation × 1.2533 stands in for it. The rule fires at
z ≥ `z` (3.5 by default, the customary cut-off for outliers) and value ≥ `min_value`. Median and MAD
ignore the spikes already in the baseline, so one runaway day does not hide the next; a sum over a few
hours smooths the noise of single hours, which on a quiet agent are a handful of calls. A scope needs
a day's worth of active hours in its baseline before it can be judged (a new agent is not an anomaly).
On the demo data this fires on the generated spike days and on no other day (tests/alerts).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from clawscope.alerts.rules import ANOMALY_MEASURES, Rule, check_measure
from clawscope.alerts.types import DIRECT, Context, Signal, filters, fmt, measure_of
from clawscope.analytics.core import grouped
from clawscope.errors import UsageError
from clawscope.timeutil import parse_iso_ms

HOUR_MS = 3_600_000
MIN_ACTIVE_HOURS = 24


def robust_z(value: float, baseline: Sequence[float]) -> float | None:
    """The modified z-score of `value` against `baseline` (None for an empty baseline)."""
    if not baseline:
        return None
    med = statistics.median(baseline)
    mad = statistics.median(abs(b - med) for b in baseline)
    if mad == 0:
        mad = statistics.fmean(abs(b - med) for b in baseline) * 1.2533
    if mad == 0:
        return 0.0 if value == med else float("inf") if value > med else float("-inf")
    return 0.6745 * (value - med) / mad


def judge(hourly: Sequence[float], hours: int, baseline_hours: int) -> tuple[float, float | None]:
    """(value, z) for the last entry of an hourly series (oldest first; at least hours + baseline long)."""
    rolled = [sum(hourly[max(0, i - hours + 1) : i + 1]) for i in range(len(hourly))]
    value = rolled[-1]
    end = len(rolled) - hours  # the baseline's sums end before the current window starts
    base = rolled[max(hours - 1, end - baseline_hours) : end]
    active = sum(1 for h in hourly[: len(hourly) - hours] if h > 0)
    if active < MIN_ACTIVE_HOURS:
        return value, None
    return value, robust_z(value, base)


class Anomaly:
    name = "anomaly"

    def validate(self, rule: Rule) -> None:
        check_measure(rule.measure, ANOMALY_MEASURES)
        if rule.z <= 0:
            raise UsageError("z must be positive")
        if not 1 <= rule.hours <= 48:
            raise UsageError("hours must be between 1 and 48")
        if not 1 <= rule.baseline_days <= 60:
            raise UsageError("baseline_days must be between 1 and 60")
        if rule.min_value < 0:
            raise UsageError("min_value must not be negative")
        if any(k not in DIRECT for k in rule.scope):
            raise UsageError("an anomaly rule is scoped by agent, kind, channel or instance")

    def evaluate(self, ctx: Context, rule: Rule) -> list[Signal]:
        assert rule.measure is not None
        now_hour = ctx.now_ms // HOUR_MS * HOUR_MS
        n = rule.baseline_days * 24 + 2 * rule.hours
        since = now_hour - (n - 1) * HOUR_MS
        fixed = {k: v for k, v in rule.scope.items() if v != "*"}
        star = next((k for k, v in rule.scope.items() if v == "*"), None)
        scopes = [fixed]
        if star is not None:
            values = ("values", since, star, tuple(sorted(fixed.items())))
            if values not in ctx.memo:  # asked once per evaluation, however many rules share the scope
                f = filters(fixed, since, ctx.now_ms + 1)
                ctx.memo[values] = [g["key"] for g in grouped(ctx.store, f, star) if g["key"]]
            scopes = [{**fixed, star: v} for v in ctx.memo[values]]
        out = []
        for scope in scopes:
            key = ("hourly", since, tuple(sorted(scope.items())))
            if key not in ctx.memo:
                ctx.memo[key] = grouped(ctx.store, filters(scope, since, ctx.now_ms + 1), "hour")
            series = [0.0] * n
            for g in ctx.memo[key]:
                i = (parse_iso_ms(g["key"] + ":00Z") - since) // HOUR_MS
                if 0 <= i < n:
                    series[i] = measure_of(g, rule.measure) or 0.0
            value, z = judge(series, rule.hours, rule.baseline_days * 24)
            if z is None or z < rule.z or value < rule.min_value:
                continue
            label = ",".join(f"{k}={v}" for k, v in sorted(scope.items()))
            msg = (
                f"{rule.measure} {fmt(rule.measure, value)} in the last {rule.hours} h is {z:.1f} robust "
                f"z above its {rule.baseline_days}-day baseline" + (f" ({label})" if label else "")
            )
            out.append(Signal(label, value, msg, {"z": round(z, 2), "hours": rule.hours}))
        return out

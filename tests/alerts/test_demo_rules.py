"""Anomaly and budget rules on the demo data, whose busy days are known: the anomaly rule fires on the
generator's spike days and on no other day; the budget forecast is the one the API serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.alerts.anomaly import judge, robust_z
from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.registry import RULE_TYPES
from clawscope.alerts.rules import parse_rule, to_store
from clawscope.alerts.types import Context
from clawscope.analytics.reports import month_forecast
from clawscope.model import Filters
from clawscope.store import Store
from tests.support.alerts import DAY_MS, HOUR_MS, Clock, Demo, demo_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    return demo_store(Path(tmp_path_factory.mktemp("demo")))


def fired_days(demo: Demo, measure: str) -> set[int]:
    """Days (from the demo's start) on which the anomaly rule fires, evaluated at the end of every hour
    after its first week (a week of baseline)."""
    rule = parse_rule({"name": "a", "type": "anomaly", "measure": measure})
    days = set()
    with Store(demo.url) as store:
        for hour in range(7 * 24, (demo.end_ms - demo.start_ms) // HOUR_MS):
            at = demo.start_ms + (hour + 1) * HOUR_MS - 1
            if RULE_TYPES["anomaly"].evaluate(Context(store, at), rule):
                days.add(hour // 24)
    return days


def test_anomaly_on_calls_fires_on_the_spike_days_only(demo: Demo) -> None:
    spikes = {d for d in demo.spike_days if d >= 7}
    assert spikes  # the seed puts spike days after the first week
    assert fired_days(demo, "calls") == spikes


def test_anomaly_on_cost_stays_silent_outside_spike_days(demo: Demo) -> None:
    days = fired_days(demo, "cost")
    assert days
    assert days <= set(demo.spike_days)


def test_robust_z_ignores_spikes_in_its_baseline() -> None:
    base = [2.0, 3.0, 2.0, 4.0, 3.0, 40.0, 3.0, 2.0]  # one earlier spike
    z = robust_z(12.0, base)
    assert z is not None
    assert z > 3.5
    assert robust_z(3.0, base) == pytest.approx(0.0, abs=0.7)
    assert robust_z(5.0, [1.0] * 10) == float("inf")  # MAD and mean deviation both 0
    value, z_new = judge([0.0] * 30 + [5.0], hours=1, baseline_hours=24)
    assert value == 5.0
    assert z_new is None  # no active baseline: a new scope is not an anomaly


def test_budget_forecast_uses_the_served_forecast(demo: Demo) -> None:
    at = demo.end_ms - 10 * DAY_MS + 12 * HOUR_MS
    clock = Clock(at)
    with Store(demo.url, clock=clock) as store:
        served = month_forecast(store, Filters(), at)
        amount = round(served["projectedUSD"] * 0.8, 2)  # a budget the month will overrun
        rule = parse_rule({"id": "b", "name": "month", "type": "budget", "amount": amount, "period": "month"})
        spec, chans = to_store(rule)
        store.alert_rules.put(rule.id, rule.name, rule.type, spec, True, chans)
        out = Evaluator(store).run()
        forecast = [a for a in out.fired if a.scope == "forecast"]
        assert len(forecast) == 1
        assert forecast[0].value == pytest.approx(served["projectedUSD"])
        assert f"budget ${amount:,.2f}" in forecast[0].message
        assert "at this rate the month ends at $" in forecast[0].message
        spent = served["monthToDateUSD"]
        assert ("spent" in {a.scope for a in out.fired}) == (spent >= amount)


def test_daily_budget_reached(demo: Demo) -> None:
    at = demo.end_ms - HOUR_MS
    with Store(demo.url, clock=Clock(at)) as store:
        rule = parse_rule({"name": "d", "type": "budget", "amount": 0.01, "period": "day", "forecast": False})
        signals = RULE_TYPES["budget"].evaluate(Context(store, at), rule)
        assert [s.scope for s in signals] == ["spent"]
        assert signals[0].message.startswith("day budget reached: spent $")

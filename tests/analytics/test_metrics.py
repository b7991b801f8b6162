"""The pure arithmetic of the analytics, against hand-computed values."""

from __future__ import annotations

import math

import pytest

from clawscope.analytics.metrics import (
    cache_hit_rate,
    compare,
    cost_stats,
    cost_stats_nano,
    forecast,
    roll_up,
    tokens_per_dollar,
)


def test_cache_hit_rate() -> None:
    assert cache_hit_rate(300, 100) == 0.25
    assert cache_hit_rate(0, 0) is None
    assert tokens_per_dollar(1000, 0.5) == 2000
    assert tokens_per_dollar(1000, 0) is None


def test_cost_stats_percentiles() -> None:
    s = cost_stats([4.0, 1.0, 3.0, 2.0, 10.0])
    # sorted 1,2,3,4,10: p50 = 3; p90 at rank 3.6 = 4 + 0.6*6 = 7.6; p99 at 3.96 = 4 + 0.96*6 = 9.76
    assert s["count"] == 5 and s["mean"] == 4.0 and s["max"] == 10.0 and s["total"] == 20.0
    assert s["p50"] == 3.0
    assert s["p90"] == pytest.approx(7.6)
    assert s["p99"] == pytest.approx(9.76)
    assert cost_stats([])["mean"] is None


def test_compare_deltas() -> None:
    d = compare({"llmCalls": 15, "costUSD": 3.0, "key": "x", "flag": True}, {"llmCalls": 10, "costUSD": 0.0})
    assert d["llmCalls"] == {"current": 15, "previous": 10, "delta": 5, "deltaPct": 50.0}
    assert d["costUSD"]["deltaPct"] is None and d["costUSD"]["delta"] == 3.0
    assert set(d) == {"llmCalls", "costUSD"}


def test_forecast_run_rate_and_interval() -> None:
    # days 2, 4, 6: mean 4, sd 2; 10 spent (incl. today so far), 20 days left
    f = forecast([2.0, 4.0, 6.0], 10.0, 20.0)
    assert f["projectedUSD"] == 10.0 + 4.0 * 20
    assert f["dailyStdDevUSD"] == 2.0
    half = 1.96 * 2.0 * math.sqrt(20)
    assert f["interval"]["low"] == pytest.approx(90 - half)
    assert f["interval"]["high"] == pytest.approx(90 + half)
    one = forecast([5.0], 5.0, 10.0)
    assert one["projectedUSD"] == 55.0 and one["interval"] is None
    low = forecast([0.0, 10.0], 10.0, 1.0)  # 10 + 5 - 1.96 * 7.07 < 10
    assert low["interval"]["low"] == 10.0  # never below what is already spent


def node(sid: str, parent: str | None, cost: float) -> dict:
    return {
        "sessionId": sid,
        "parentSessionId": parent,
        "costUSD": cost,
        "estimatedCostUSD": 0.0,
        "llmCalls": 1,
        "toolCalls": 0,
        "tokensIn": 10,
        "tokensOut": 1,
        "firstAt": sid,
    }


def test_tree_roll_up() -> None:
    nodes = [node("a", None, 1.0), node("b", "a", 2.0), node("c", "b", 4.0), node("d", "a", 8.0)]
    tree = roll_up(nodes, "a")
    assert tree["total"]["costUSD"] == 15.0 and tree["total"]["sessions"] == 4
    assert [c["sessionId"] for c in tree["children"]] == ["b", "d"]
    assert tree["children"][0]["total"]["costUSD"] == 6.0
    assert tree["children"][0]["total"]["llmCalls"] == 2
    # a subtree root's own parent link is ignored; a cycle does not loop
    sub = roll_up([node("b", "c", 2.0), node("c", "b", 4.0)], "b")
    assert sub["total"]["costUSD"] == 6.0
    with pytest.raises(KeyError):
        roll_up(nodes, "zz")


def test_cost_stats_nano_same_numbers_in_dollars() -> None:
    """Amounts in nano-dollars give the dollar statistics of `cost_stats`, summed exactly."""
    nanos = [4_000_000_000, 1_000_000_000, 3_000_000_000, 2_000_000_000, 10_000_000_000]
    s = cost_stats_nano(nanos)
    assert s == pytest.approx(cost_stats([n / 1e9 for n in nanos]))
    assert s["count"] == 5 and s["total"] == 20.0 and s["max"] == 10.0 and s["p50"] == 3.0
    # 0.1 + 0.2 summed as integers is exactly 0.3 (as floats it is 0.30000000000000004)
    assert cost_stats_nano([100_000_000, 200_000_000])["total"] == 0.3
    assert cost_stats_nano([])["mean"] is None and cost_stats_nano([])["p50"] is None

"""The metric families: the cardinality caps hold on a corpus with 5,000 distinct tool names (the series
count is bounded by them, the named values are the earliest seen, the rest add up under `other`), and
families registered by other packages (`SOURCES`) are exposed."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from clawscope.exports import metrics
from clawscope.exports.prometheus import render
from clawscope.ingest import ingest
from clawscope.model.metrics import MetricFamily, Sample, capped
from clawscope.store import Store
from tests.support.builders import assistant, state_dir, tool_call, tool_result, user, write_session

TOOLS = 5000
PER_SESSION = 250


def _minute(i: int) -> str:
    return f"2026-11-01T{10 + i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}.000Z"


@pytest.fixture
def many_tools(tmp_path: Path, sqlite_url: str) -> Store:
    """20 sessions × 250 calls, each to a tool of its own (tool-0000 … tool-4999), in time order."""
    root = tmp_path / "state"
    sessions = state_dir(root)
    for s in range(TOOLS // PER_SESSION):
        records = [user("go", ts=_minute(s * PER_SESSION * 2))]
        for j in range(PER_SESSION):
            n = s * PER_SESSION + j
            name = f"tool-{n:04d}"
            records.append(assistant(tools=[tool_call(f"c{n}", name)], ts=_minute(n * 2)))
            records.append(tool_result(f"c{n}", name, error=n % 7 == 0, ts=_minute(n * 2 + 1)))
        write_session(sessions, f"sess-{s:02d}", records)
    store = Store(sqlite_url)
    ingest(store, [root], instance="test", estimate=False)
    return store


def _series(families: list[MetricFamily]) -> dict[str, int]:
    body, _ = render(families)
    counts: dict[str, int] = {}
    for family in text_string_to_metric_families(body.decode()):
        if family.name.startswith("clawscope_"):
            counts[family.name] = len(family.samples)
    return counts


def test_series_are_bounded_by_the_caps_with_5000_tool_names(many_tools: Store) -> None:
    cap = 50
    families = metrics.collect(many_tools, cap)
    by_name = {f.name: f for f in families}
    calls = by_name["clawscope_tool_calls"]
    tools = {s.labels[calls.labels.index("tool")] for s in calls.samples}
    assert tools == {f"tool-{n:04d}" for n in range(cap)} | {"other"}  # the earliest seen, then `other`
    total = sum(s.value for s in calls.samples)
    assert total == TOOLS  # nothing lost in the bucket
    other_errors = sum(
        s.value
        for s in calls.samples
        if s.labels[calls.labels.index("tool")] == "other" and s.labels[-1] == "error"
    )
    assert other_errors == sum(1 for n in range(cap, TOOLS) if n % 7 == 0)
    # The bound: (cap + 1) tool values × the other labels' values (one each here) × outcomes (3) for the
    # counter; × (buckets + 1 + sum + count) for the histogram.
    series = _series(families)
    assert series["clawscope_tool_calls"] <= (cap + 1) * 3  # ok, error (and pending where some wait)
    histogram = by_name["clawscope_tool_duration_seconds"]
    assert len(histogram.samples) <= cap + 1
    assert series["clawscope_tool_duration_seconds"] <= (cap + 1) * (len(histogram.bounds) + 3)
    assert sum(series.values()) < 1100  # 5,000 tools: under a thousand series in all
    uncapped = _series(metrics.collect(many_tools, 10_000))
    assert (
        uncapped["clawscope_tool_calls"] == TOOLS * 2
    )  # without the cap: one per tool and outcome (ok, error)


def test_capped_keeps_the_earliest_values() -> None:
    seen = {"b": 5, "a": 5, "c": 1, "d": None}
    assert capped(seen, 10) == {"a", "b", "c", "d"}
    assert capped(seen, 2) == {"c", "a"}  # earliest, then by name; unknown times last


def test_registered_sources_are_exposed(store: Store) -> None:
    def findings(_store: Store, cap: int) -> list[MetricFamily]:
        assert cap == 7
        return [
            MetricFamily("clawscope_findings", "counter", "Findings.", ("family",), [Sample(("loop",), 3)])
        ]

    metrics.register(findings)
    try:
        assert metrics.register(findings) is findings and metrics.SOURCES.count(findings) == 1
        body, _ = render(metrics.collect(store, 7))
        assert 'clawscope_findings_total{family="loop"} 3.0' in body.decode()
    finally:
        metrics.SOURCES.remove(findings)


def test_the_fast_encoder_writes_what_prometheus_client_writes(many_tools: Store) -> None:
    from clawscope.exports.prometheus import encode, reference

    families = metrics.collect(many_tools, 60)
    families.append(
        MetricFamily(
            "clawscope_odd", "gauge", 'a "help"\\ with\nlines', ("v",), [Sample(('a"b\\c\nd',), 0.1 + 0.2)]
        )
    )
    for openmetrics in (False, True):
        want = reference(families, openmetrics).decode()
        if openmetrics:
            want = want.removesuffix("# EOF\n")
        assert encode(families, openmetrics) == want

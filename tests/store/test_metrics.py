"""The metrics roll-ups equal the stats of the rows (by model and by trigger), stay equal to a rebuild from
scratch through re-ingest and deletion, and are filled by migration 0011 on an existing store."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import text

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.money import usd
from clawscope.store import Store
from clawscope.store.migrate import HEAD, head_revision, migrate

SAMPLES = ("openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite")


def _by(rows: list[dict], key: str, measures: tuple[str, ...]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(measures, 0))
    for r in rows:
        for m in measures:
            out[r[key]][m] += r[m]
    return dict(out)


CALL_MEASURES = (
    "calls",
    "errors",
    "tokens_in",
    "tokens_out",
    "cache_read",
    "cache_write",
    "cost",
    "est_cost",
)


def _check_equal_to_stats(store: Store) -> None:
    rows = store.metrics.calls()
    for dim, key in (("model", "model"), ("trigger", "trigger")):
        groups = analytics.stats(store, Filters(), dim)["groups"]
        mine = _by(rows, key, CALL_MEASURES)
        want = {g["key"]: g for g in groups if g["llmCalls"]}
        assert set(mine) == set(want)
        for k, g in want.items():
            assert mine[k]["calls"] == g["llmCalls"]
            assert mine[k]["errors"] == g["errors"]
            assert mine[k]["tokens_in"] == g["tokensIn"]
            assert mine[k]["tokens_out"] == g["tokensOut"]
            assert mine[k]["cache_read"] == g["cacheRead"]
            # whole nano-dollars (issue 13): the stats' dollars are exactly their sum / 10^9
            assert usd(mine[k]["cost"]) == g["costUSD"]
            assert usd(mine[k]["est_cost"]) == g["estimatedCostUSD"]
    tools = _by(store.metrics.tools(), "tool", ("calls", "errors"))
    for g in analytics.stats(store, Filters(), "tool")["groups"]:
        assert tools[g["key"]] == {"calls": g["toolCalls"], "errors": g["toolErrors"]}
    for r in rows:  # histogram buckets add up to the calls with a known latency
        assert sum(r[f"b{i}"] for i in range(12)) == r["dur_n"] <= r["calls"]


def _snapshot(store: Store) -> tuple[list, list]:
    key = lambda r: tuple(str(v) for v in r.values())  # noqa: E731
    calls = sorted(store.metrics.calls(), key=key)  # (exact: money is whole nano-dollars)
    tools = sorted(store.metrics.tools(), key=key)
    return calls, tools


def test_metric_rollups_equal_the_stats(fixture_copy, db_url: str) -> None:
    with Store(db_url) as store:
        dirs = [fixture_copy(s) for s in SAMPLES]
        ingest(store, dirs, instance="test", estimate=False)
        assert store.metrics.calls() and store.metrics.tools()
        _check_equal_to_stats(store)
        before = _snapshot(store)
        store.refresh(store.sessions_with_entries())  # a recompute moves nothing
        assert _snapshot(store) == before
        store.metrics.rebuild()  # from scratch: the same
        assert _snapshot(store) == before


def test_deleting_a_session_removes_exactly_its_part(fixture_copy, db_url: str) -> None:
    with Store(db_url) as store:
        ingest(store, [fixture_copy(s) for s in SAMPLES], instance="test", estimate=False)
        victim = max(analytics.sessions(store, Filters()), key=lambda s: s["llmCalls"])
        total = sum(r["calls"] for r in store.metrics.calls())
        assert store.sessions.delete(victim["sessionId"])
        assert sum(r["calls"] for r in store.metrics.calls()) == total - victim["llmCalls"]
        _check_equal_to_stats(store)
        after = _snapshot(store)
        store.metrics.rebuild()
        assert _snapshot(store) == after


def test_migration_0011_fills_the_metrics_of_an_existing_store(fixture_copy, sqlite_url: str) -> None:
    with Store(sqlite_url) as store:
        ingest(store, [fixture_copy(SAMPLES[0])], instance="test", estimate=False)
        want = _snapshot(store)
        with store.engine.begin() as conn:
            for t in (
                "metric_calls_sid",
                "metric_tools_sid",
                "metric_calls",
                "metric_tools",
                "request_counts",
                "otlp_turns",
                "otlp_sessions",
            ):
                conn.execute(text(f"DROP TABLE {t}"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        assert migrate(store.engine) == head_revision() == HEAD
        assert _snapshot(store) == want
        _check_equal_to_stats(store)


def test_request_counts_add_up_across_writers(db_url: str) -> None:
    with Store(db_url) as a, Store(db_url) as b:
        a.metrics.count_requests({("webhook", "accepted"): 2, ("otlp_traces", "invalid"): 1})
        b.metrics.count_requests({("webhook", "accepted"): 3, ("webhook", "unauthorized"): 0})
        got = {(r["endpoint"], r["outcome"]): r["n"] for r in b.metrics.requests()}
        assert got == {("webhook", "accepted"): 5, ("otlp_traces", "invalid"): 1}

"""The roll-ups of revisions 0025 and 0026 (tool duration histograms, distinct sessions per model,
prompt sizes, priced calls per day) against the raw rows: exact counts, percentiles within the stated
error, after ingest, re-ingest and deletion, on both backends; and the blocks kept by difference equal
a rebuild from scratch."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from clawscope.analytics.metrics import percentile as exact_percentile
from clawscope.ingest import ingest
from clawscope.model import (
    Cost,
    Entry,
    Filters,
    LlmCall,
    SessionMeta,
    ToolCall,
    ToolResult,
    ToolStatus,
    TranscriptBatch,
    Usage,
)
from clawscope.store import Store, rollup_priced, rollup_prompts, rollup_tools
from clawscope.store import duration_histogram as dh
from clawscope.store import rollup_totals as rq
from clawscope.store import row_totals as q
from clawscope.store.sql_filters import ROLLUP_ATTRS, where

SAMPLES = ("openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite")
HOUR = 3_600_000
DAY = 86_400_000


def _histogram(values: list[int]) -> list[tuple[int, int]]:
    counts: dict[int, int] = {}
    for v in values:
        counts[dh.bucket_of(v)] = counts.get(dh.bucket_of(v), 0) + 1
    return sorted(counts.items())


def _within(approx: float | None, exact: float | None) -> bool:
    if exact is None or approx is None:
        return approx is exact
    return abs(approx - exact) <= dh.RELATIVE_ERROR * exact + 1e-9


def _varied(rng: random.Random) -> list[int]:
    kind = rng.randrange(6)
    n = rng.choice([1, 2, 3, 10, 101, 2_000])
    if kind == 0:
        return [int(rng.lognormvariate(6, 2)) for _ in range(n)]
    if kind == 1:
        return [rng.randrange(0, 30) for _ in range(n)]  # small values: exact buckets, zeros
    if kind == 2:
        return [rng.choice([5, 50_000, 3_600_000]) for _ in range(n)]  # far apart modes
    if kind == 3:
        return [int(rng.paretovariate(0.7) * 100) for _ in range(n)]  # heavy tail
    if kind == 4:
        return [rng.randrange(0, 10**12) for _ in range(n)]  # up to 30 years
    return [7] * n


def test_histogram_percentiles_are_within_the_stated_error_of_the_exact_ones() -> None:
    rng = random.Random(17)
    for _ in range(400):
        values = _varied(rng)
        hist = _histogram(values)
        assert sum(n for _, n in hist) == len(values)
        ordered = sorted(values)
        for pct in (0, 1, 25, 50, 90, 95, 99, 99.9, 100):
            approx, exact = dh.percentile(hist, pct), exact_percentile(ordered, pct)
            assert _within(approx, exact), (pct, approx, exact, values[:20])


def test_a_bucket_holds_only_durations_within_the_error_of_its_value() -> None:
    assert dh.percentile([], 50) is None
    assert dh.representative(dh.bucket_of(0)) == 0.0
    for d in [*range(200), 1_000, 12_345, 10**9, 2**61]:
        b = dh.bucket_of(d)
        assert dh.LOWER[b] <= d < dh.LOWER[b + 1]
        assert abs(dh.representative(b) - d) <= dh.RELATIVE_ERROR * d + 1e-9
    with pytest.raises(ValueError, match="negative"):
        dh.bucket_of(-1)


def test_blocks_tile_any_run_of_days_once_in_few_blocks() -> None:
    rng = random.Random(3)
    for _ in range(300):
        first = rng.randrange(0, 30_000)
        end = first + rng.randrange(0, 3_000)
        tiles = rollup_tools.decompose(first, end)
        days = [d for level, start in tiles for d in range(start, start + 4**level)]
        assert days == list(range(first, end))
        assert all(start % 4**level == 0 for level, start in tiles)
        assert len(tiles) <= 6 * rollup_tools.LEVELS + (end - first) // 4 ** (rollup_tools.LEVELS - 1)
        for level, start in tiles:  # each tile is one of the blocks its first day is stored in
            assert (level, start) in rollup_tools.blocks_of(start * DAY)


def _raw_tools(store: Store, f: Filters) -> list[dict]:
    return [
        {
            "key": g["key"],
            "toolCalls": g["toolCalls"],
            "toolErrors": g["toolErrors"],
            "p50": exact_percentile(g["durationsMs"], 50),
            "p95": exact_percentile(g["durationsMs"], 95),
        }
        for g in store.tools.per_tool(f)
    ]


def _same_tools(store: Store, f: Filters) -> None:
    raw = _raw_tools(store, f)
    with store.engine.connect() as conn:
        rolled = rollup_tools.per_tool(conn, f)
    assert [(g["key"], g["toolCalls"], g["toolErrors"]) for g in rolled] == [
        (g["key"], g["toolCalls"], g["toolErrors"]) for g in raw
    ]
    for a, b in zip(rolled, raw, strict=True):
        assert _within(a["p50DurationMs"], b["p50"]), (f, a, b)
        assert _within(a["p95DurationMs"], b["p95"]), (f, a, b)


def _same_groups(store: Store, f: Filters) -> None:
    with store.engine.connect() as conn:
        for by in ("model", "provider"):
            assert rq.groups(conn, f, by) == q.groups(conn, f, by), (by, f)
        rolled = rollup_prompts.prompt_sizes(conn, f)
        priced = rollup_priced.by_model_day(conn, f)
    assert _priced(priced) == _priced(store.priced_calls.raw_by_model_day(f)), f
    raw = _raw_prompts(store, f)
    assert rolled["max_prompt"] == raw["max_prompt"], f
    if raw["avg_prompt"] is None:
        assert rolled["avg_prompt"] is None, f
    else:
        assert rolled["avg_prompt"] == pytest.approx(raw["avg_prompt"], rel=1e-12), f


def _priced_daily(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(int(v) if i >= 7 else v for i, v in enumerate(r))
                      for r in conn.execute(text("SELECT * FROM rollup_priced_daily")))  # fmt: skip


def _priced_rebuilt(store: Store) -> list[tuple]:
    """The daily priced rows a from-scratch rebuild gives (rolled back: the store is left as it was);
    the rows kept by difference must equal them."""
    with store.engine.connect() as conn, conn.begin() as tx:
        rollup_priced.rebuild(conn)
        rows = sorted(tuple(int(v) if i >= 7 else v for i, v in enumerate(r))
                      for r in conn.execute(text("SELECT * FROM rollup_priced_daily")))  # fmt: skip
        tx.rollback()
    return rows


def _priced(rows: list[dict]) -> list[tuple]:
    """The reconciliation's rows, comparable across backends (PostgreSQL sums are NUMERIC)."""
    out = [
        (r["provider"] or "", r["model"] or "", r["provider"], r["model"], int(r["day"]),
         *(int(r[k]) for k in ("n", "i", "o", "r", "w", "cost")))
        for r in rows
    ]  # fmt: skip
    return sorted(out)


def _same_series(store: Store, f: Filters) -> None:
    """The stacked chart series (whole days from the daily roll-up) equal a sum over the hourly one."""
    from clawscope.store.series import MEASURES, STACKS, UNIT_MS

    for unit in ("hour", "day"):
        for stack in ("model", "trigger", "agent"):
            for measure in ("cost", "calls"):
                p: dict = {}
                sql = (
                    f"SELECT r.hour_ms / {UNIT_MS[unit]} AS bucket, {STACKS[stack]} AS key, "
                    f"{MEASURES[measure]} AS value FROM rollup_hourly r "
                    f"WHERE r.hour_ms >= 0 AND {where(f, 'r.hour_ms', p, ROLLUP_ATTRS)} "
                    "GROUP BY 1, 2 ORDER BY 1, 2"
                )
                with store.engine.connect() as conn:
                    hourly = [(int(b), str(k), float(v)) for b, k, v in conn.execute(text(sql), p)]
                got = store.series.stacked(f, unit, stack, measure)
                scale = 1e9 if measure == "cost" else 1
                assert [(r["bucket"], r["key"], round(r["value"] * scale)) for r in got] == [
                    (b, k, round(v)) for b, k, v in hourly
                ], (f, unit, stack, measure)
            # the Timeline's three charts from one query: each measure as its own query gives it
            many = store.series.stacked_many(f, unit, stack, ("cost", "tokens", "calls"))
            for measure in ("cost", "tokens", "calls"):
                one = store.series.stacked(f, unit, stack, measure)
                assert [(r["bucket"], r["key"], r[measure]) for r in many] == [
                    (r["bucket"], r["key"], r["value"]) for r in one
                ], (f, unit, stack, measure)


def _raw_prompts(store: Store, f: Filters) -> dict:
    """`ContextUse.prompt_sizes` over the calls themselves (the raw query, whatever the period)."""
    p: dict = {}
    sql = (
        "SELECT avg(l.input + l.cache_read + l.cache_write), max(l.input + l.cache_read + l.cache_write) "
        f"FROM llm_calls l JOIN sessions s ON s.sid = l.sid WHERE l.has_usage AND {where(f, 'l.ts_ms', p)}"
    )
    with store.engine.connect() as conn:
        avg, peak = conn.execute(text(sql), p).one()
    return {
        "avg_prompt": None if avg is None else float(avg),
        "max_prompt": None if peak is None else int(peak),
    }


def _windows(store: Store) -> list[Filters]:
    with store.engine.connect() as conn:
        first, last = conn.execute(text("SELECT min(ts_ms), max(ts_ms) FROM tool_calls")).one()
    lo, hi = first // HOUR * HOUR, last // HOUR * HOUR + HOUR
    out = [Filters(), Filters(agent="main"), Filters(since_ms=0, until_ms=4_102_444_800_000)]
    spans = [(lo - 5 * HOUR, hi + 7 * HOUR), (lo + HOUR, hi), (lo, lo + HOUR), (lo - 49 * HOUR, hi)]
    for since, until in spans:
        out += [Filters(since, until), Filters(since_ms=since), Filters(until_ms=until)]
    return out


def _blocks(store: Store) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(text("SELECT * FROM rollup_tool_blocks")))


def _rebuilt(store: Store) -> list[tuple]:
    """The blocks a from-scratch rebuild gives (rolled back: the store is left as it was)."""
    with store.engine.connect() as conn, conn.begin() as tx:
        rollup_tools.rebuild(conn)
        rows = sorted(tuple(r) for r in conn.execute(text("SELECT * FROM rollup_tool_blocks")))
        tx.rollback()
    return rows


T0 = 1_790_000_000_000 // DAY * DAY  # a UTC midnight
MODELS = (("anthropic", "claude"), ("openai", "gpt"), ("openai", "o3"), (None, None), ("ollama", None))
TOOLS = ("exec", "read", "browser", "write")


def _batch(rng: random.Random, n: int, part: int) -> tuple[SessionMeta, TranscriptBatch]:
    """Part `part` of session n: model calls and tool calls with varied durations, some sessions
    running over several days (each part starts later), some calls without a time or a result."""
    sid = f"varied-{n:03d}"
    agent = ("main", "ops", None)[n % 3]
    meta = SessionMeta(
        session_id=sid, instance="test", agent_id=agent, key=f"agent:{agent}:main:{n}", kind="main",
        channel=("telegram", None)[n % 2], started_ms=T0, source="jsonl",
    )  # fmt: skip
    batch = TranscriptBatch(sid)
    t = T0 + (n % 9) * DAY + rng.randrange(DAY) + part * rng.choice([HOUR, DAY, 3 * DAY])
    for i in range(rng.randrange(1, 6)):
        eid = f"p{part}a{i}"
        ts = None if rng.random() < 0.05 else t
        provider, model = rng.choice(MODELS)
        batch.entries.append(Entry(sid, eid, part * 100 + 2 * i, "message", "assistant", None, ts, b"{}"))
        usage = (
            None
            if rng.random() < 0.1
            else Usage(rng.randrange(5_000), 5, rng.randrange(900), rng.randrange(50), 0)
        )
        batch.llm_calls.append(
            LlmCall(
                sid,
                eid,
                ts,
                t - 500,
                provider,
                model,
                "messages",
                "stop",
                None,
                usage,
                Cost(total=0.0 if (n + i) % 4 == 0 else 0.001 * (1 + i)),  # some calls unpriced
            )
        )
        name = rng.choice(TOOLS)
        call = f"p{part}c{i}"
        batch.tool_calls.append(ToolCall(sid, call, eid, ts, name, b"{}"))
        t += int(rng.lognormvariate(7 if name == "browser" else 4, 1.5))
        if rng.random() < 0.1:
            continue  # no result: pending, no duration
        rid = f"p{part}r{i}"
        batch.entries.append(Entry(sid, rid, part * 100 + 2 * i + 1, "message", "toolResult", None, t, b"{}"))
        status = ToolStatus.ERROR if rng.random() < 0.2 else ToolStatus.OK
        own = rng.choice([None, rng.randrange(0, 100_000)])
        batch.tool_results.append(ToolResult(sid, call, rid, t, name, status, None, None, None, own, None, 1))
    return meta, batch


def _write(store: Store, parts: list[tuple[SessionMeta, TranscriptBatch]]) -> None:
    writer = store.writer()
    writer.emit_events = False
    for meta, batch in parts:
        writer.add_meta([meta])
        writer.add_batch(batch)
    writer.flush()


def test_rollups_stay_exact_on_varied_data_written_in_parts(db_url: str) -> None:
    rng = random.Random(25)
    first = [_batch(rng, n, 0) for n in range(60)]
    later = [_batch(rng, n, 1) for n in range(0, 60, 3)]
    with Store(db_url) as store:
        _write(store, first[:30])
        _write(store, first[30:] + later[:10])  # more sessions, and more days of some
        _write(store, later[10:])
        _write(store, first[:5] + later[:5])  # a re-read: nothing changes
        assert _blocks(store) == _rebuilt(store) != []
        assert _priced_daily(store) == _priced_rebuilt(store) != []
        for f in _windows(store):
            _same_tools(store, f)
            _same_groups(store, f)
            _same_series(store, f)
        for victim in ("varied-000", "varied-007", "varied-030"):
            assert store.sessions.delete(victim)
        assert _blocks(store) == _rebuilt(store)
        assert _priced_daily(store) == _priced_rebuilt(store)
        for f in [*_windows(store), Filters(agent="ops", since_ms=T0 + DAY, until_ms=T0 + 5 * DAY)]:
            _same_tools(store, f)
            _same_groups(store, f)
        with store.engine.connect() as conn:
            multi = conn.execute(text("SELECT count(*) FROM rollup_model_sid_days WHERE single = 0")).scalar()
        assert multi  # sessions that called a model on several days were counted apart


def test_tool_and_model_rollups_equal_the_rows_through_ingest_reingest_and_deletion(
    fixture_copy, db_url: str
) -> None:
    with Store(db_url) as store:
        dirs = [fixture_copy(s) for s in SAMPLES]
        ingest(store, dirs[:1], instance="test", estimate=False)
        ingest(store, dirs, instance="test", estimate=False)  # incremental: the second source joins
        ingest(store, dirs, instance="test", estimate=False)  # re-ingest: nothing changes
        with store.engine.connect() as conn:
            n_tools = conn.execute(text("SELECT count(*) FROM tool_calls")).scalar_one()
            known = conn.execute(
                text("SELECT count(*) FROM rollup_tool_sid WHERE bucket >= 0 AND calls > 0")
            ).scalar_one()
        assert n_tools > 0 and known > 0  # the fixtures have tool calls with durations
        assert _blocks(store) == _rebuilt(store) != []
        for f in _windows(store):
            _same_tools(store, f)
            _same_groups(store, f)
        with store.engine.connect() as conn:
            victims = [
                r[0]
                for r in conn.execute(
                    text(
                        "SELECT s.session_id FROM sessions s WHERE EXISTS "
                        "(SELECT 1 FROM tool_calls t WHERE t.sid = s.sid) ORDER BY s.session_id"
                    )
                )
            ]
        assert victims
        assert store.sessions.delete(victims[0])
        assert _blocks(store) == _rebuilt(store)
        for f in _windows(store):
            _same_tools(store, f)
            _same_groups(store, f)
        before = _blocks(store)
        with store.engine.connect() as conn:
            before_sid = conn.execute(text("SELECT count(*) FROM rollup_tool_sid")).scalar_one()
        ingest(store, dirs, instance="test", estimate=False)  # the deleted session stays deleted
        assert _blocks(store) == before
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rollup_tool_sid")).scalar_one() == before_sid


def test_the_tools_report_states_the_percentile_error(fixture_copy, sqlite_url: str) -> None:
    from clawscope.analytics import reports

    with Store(sqlite_url) as store:
        ingest(store, [fixture_copy(SAMPLES[0])], instance="test", estimate=False)
        assert reports.tools(store, Filters())["durationRelativeError"] == dh.RELATIVE_ERROR
        assert reports.tools(store, Filters(since_ms=1))["durationRelativeError"] == 0.0  # exact: raw rows

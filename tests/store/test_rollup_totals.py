"""The roll-up tables give exactly the raw rows' numbers, after ingest, deletion and migration."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.money import usd
from clawscope.store import Store
from clawscope.store import rollup_totals as rq
from clawscope.store import row_totals as q
from clawscope.store.migrate import head_revision, migrate

SAMPLES = ("openclaw-2026.3.24-jsonl", "openclaw-2026.9.6-sqlite")


def same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert b[k] == (pytest.approx(v, abs=1e-9) if isinstance(v, float) else v), k


DIMS = ["model", "provider", "agent", "kind", "trigger", "channel", "day", "hour", "month"]


@pytest.mark.parametrize("by", DIMS)
def test_rollups_equal_the_rows(by: str, fixture_copy, db_url: str) -> None:
    with Store(db_url) as store:
        ingest(store, [fixture_copy(s) for s in SAMPLES], instance="test", estimate=False)
        with store.engine.connect() as conn:
            for f in (Filters(), Filters(since_ms=0, until_ms=4_102_444_800_000), Filters(agent="main")):
                same(q.totals(conn, f), rq.totals(conn, f))
                raw, rolled = q.groups(conn, f, by), rq.groups(conn, f, by)
                assert [g["key"] for g in raw] == [g["key"] for g in rolled]
                for a, b in zip(raw, rolled, strict=True):
                    same(a, b)


def test_migration_0005_fills_the_rollups_of_an_existing_store(fixture_copy, sqlite_url: str) -> None:
    with Store(sqlite_url) as store:
        ingest(store, [fixture_copy(SAMPLES[0])], instance="test", estimate=False)
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE rollup_calls"))
            conn.execute(text("DROP TABLE rollup_entries"))
            conn.execute(text("DROP TABLE rollup_hourly"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
        assert migrate(store.engine) == head_revision()  # through 0005, which fills them
        with store.engine.connect() as conn:
            same(q.totals(conn, Filters()), rq.totals(conn, Filters()))
            assert rq.totals(conn, Filters())["llmCalls"] == 13


def test_covers_only_whole_hours() -> None:
    assert rq.covers(Filters())
    assert rq.covers(Filters(since_ms=3_600_000 * 5))
    assert not rq.covers(Filters(until_ms=3_600_000 * 5 + 1))
    assert not rq.covers(Filters(), "tool")


@pytest.mark.parametrize("by", [None, "day", "month", "model", "trigger", "hour"])
def test_periods_with_partial_days_read_days_and_hours_alike(
    by: str | None, fixture_copy, db_url: str
) -> None:
    """Whole days come from the daily roll-up, partial days at either end from the hourly one (revision
    0018): the same numbers as the rows for windows that start and end anywhere on a whole hour."""
    hour = 3_600_000
    with Store(db_url) as store:
        ingest(store, [fixture_copy(s) for s in SAMPLES], instance="test", estimate=False)
        with store.engine.connect() as conn:
            first, last = conn.execute(text("SELECT min(ts_ms), max(ts_ms) FROM llm_calls")).one()
            lo, hi = first // hour * hour, last // hour * hour + hour
            windows = [(lo - 5 * hour, hi + 7 * hour), (lo + hour, hi), (lo, lo + hour), (lo - 49 * hour, hi)]
            for since, until in windows:
                for f in (
                    Filters(since_ms=since, until_ms=until),
                    Filters(since_ms=since),
                    Filters(until_ms=until),
                ):
                    if by is None:
                        same(q.totals(conn, f), rq.totals(conn, f))
                        spent = q.spend(conn, f)
                        assert spent == rq.spend(conn, f)  # the overview's cost-only windows
                        assert usd(spent[0]) == q.totals(conn, f)["costUSD"]
                        assert usd(spent[1]) == q.totals(conn, f)["estimatedCostUSD"]
                        continue
                    raw, rolled = q.groups(conn, f, by), rq.groups(conn, f, by)
                    assert [g["key"] for g in raw] == [g["key"] for g in rolled]
                    for a, b in zip(raw, rolled, strict=True):
                        same(a, b)


def test_a_period_from_zero_or_later_reads_its_own_index_range(db_url: str) -> None:
    """The condition that leaves out rows without a time (hour -1) is implied by a lower bound of 0 or
    more and left out then (SQLite took it as the start of the index range and read every row from
    the beginning); a negative or missing lower bound keeps it; the rows of hour -1 stay out either way."""
    from clawscope.store.sql_filters import ROLLUP_ATTRS, where

    dated = "r.hour_ms >= 0"
    p: dict = {}
    assert dated not in where(Filters(since_ms=0, until_ms=5), "r.hour_ms", p, ROLLUP_ATTRS, dated=dated)
    assert dated not in where(Filters(since_ms=7_200_000), "r.hour_ms", p, ROLLUP_ATTRS, dated=dated)
    assert dated in where(Filters(until_ms=7_200_000), "r.hour_ms", p, ROLLUP_ATTRS, dated=dated)
    assert dated in where(Filters(since_ms=-3_600_000), "r.hour_ms", p, ROLLUP_ATTRS, dated=dated)
    assert dated not in where(Filters(), "r.hour_ms", p, ROLLUP_ATTRS, dated=dated)  # no period: all rows
    with Store(db_url) as store, store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rollup_hourly (hour_ms, instance, agent, kind, trigger, channel, provider, "
                "model, llm_calls, errors, tokens_in, tokens_out, cache_read, cache_write, total_tokens, "
                "cost, est_cost, tool_calls, tool_errors, latency_sum, latency_n) VALUES "
                "(-1, 'i', '', 'main', 'user', '', '', 'm', 1, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0), "
                "(3600000, 'i', '', 'main', 'user', '', '', 'm', 1, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0)"
            )
        )
        for f, cost in ((Filters(since_ms=0, until_ms=7_200_000), 5), (Filters(until_ms=7_200_000), 5)):
            assert rq.spend(conn, f) == (cost, 0), f
        assert rq.spend(conn, Filters(since_ms=-3_600_000, until_ms=3_600_000)) == (0, 0)


@pytest.mark.parametrize("by", ["day", "month", "hour"])
def test_calendar_groups_over_months_read_as_the_rows(by: str, tmp_path, db_url: str, monkeypatch) -> None:
    """Per day, month and hour over several months, with sessions across a midnight and a month's end
    and entries without a time: the per-bucket session counts (one index range per day or month,
    `_per_range`; with too many buckets, one GROUP BY) equal the rows' own."""
    from tests.support.builders import assistant, state_dir, user, write_session

    sessions = state_dir(tmp_path / "state")
    stamps = [
        ("2026-08-30T23:59:00.000Z", "2026-09-01T00:30:00.000Z"),  # across a month's end
        ("2026-09-14T23:10:00.000Z", "2026-09-15T01:00:00.000Z"),  # across a midnight
        ("2026-09-15T08:00:00.000Z", "2026-09-15T08:20:00.000Z"),
        ("2026-11-02T12:00:00.000Z", "2026-11-02T12:01:00.000Z"),  # after an empty month
    ]
    for n, (first, last) in enumerate(stamps):
        timeless = user(f"no time {n}")
        timeless.pop("timestamp")
        timeless["message"].pop("timestamp")
        records = [user(f"task {n}", ts=first), assistant(ts=first), timeless, assistant(ts=last)]
        write_session(sessions, f"cafe{n:04d}-0000-4000-8000-000000000000", records)
    # an hour with entries but no model call (05:00): its session and message still count per hour
    asked = [user("later", ts="2026-09-20T05:10:00.000Z"), assistant(ts="2026-09-20T07:30:00.000Z")]
    write_session(sessions, "cafe0099-0000-4000-8000-000000000000", asked)
    with Store(db_url) as store:
        ingest(store, [tmp_path / "state"], instance="test", estimate=False)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rollup_entries WHERE hour_ms < 0")).scalar_one()
            for limit in (rq._MAX_RANGES, 1):  # 1: more buckets than the ranges allow, grouped instead
                monkeypatch.setattr(rq, "_MAX_RANGES", limit)
                for f in (Filters(), Filters(since_ms=0), Filters(until_ms=1_788_000_000_000)):
                    raw, rolled = q.groups(conn, f, by), rq.groups(conn, f, by)
                    assert [g["key"] for g in raw] == [g["key"] for g in rolled]
                    for a, b in zip(raw, rolled, strict=True):
                        same(a, b)
                    if by == "hour" and f == Filters():
                        quiet = {g["key"]: g for g in rolled}["2026-09-20T05:00"]
                        assert (quiet["sessions"], quiet["messages"], quiet["llmCalls"]) == (1, 1, 0)
                    if by == "month" and f == Filters():
                        assert [g["key"] for g in rolled] == ["2026-08", "2026-09", "2026-11", "None"]
                        assert {g["key"]: g["sessions"] for g in rolled}["2026-09"] == 4


def test_migration_0028_counts_the_sessions_per_hour_of_an_existing_store(fixture_copy, db_url: str) -> None:
    """A store from before revision 0028 (hour totals without sessions and messages, no per-hour sums)
    gets them filled from its roll-ups: per hour, filtered or not, the groups equal the rows'."""
    with Store(db_url) as store:
        ingest(store, [fixture_copy(s) for s in SAMPLES], instance="test", estimate=False)
        with store.engine.begin() as conn:
            conn.execute(text("ALTER TABLE rollup_hour_totals DROP COLUMN sessions"))
            conn.execute(text("ALTER TABLE rollup_hour_totals DROP COLUMN messages"))
            conn.execute(text("DROP TABLE rollup_hour_all"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0027'"))
        assert migrate(store.engine) == head_revision()
        with store.engine.connect() as conn:
            for table in ("rollup_hour_totals", "rollup_hour_all"):
                assert conn.execute(text(f"SELECT sum(sessions) FROM {table}")).scalar_one() > 0
            for f in (Filters(), Filters(agent="main"), Filters(since_ms=0, until_ms=4_102_444_800_000)):
                raw, rolled = q.groups(conn, f, "hour"), rq.groups(conn, f, "hour")
                assert [g["key"] for g in raw] == [g["key"] for g in rolled]
                for a, b in zip(raw, rolled, strict=True):
                    same(a, b)

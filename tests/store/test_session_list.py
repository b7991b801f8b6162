"""The Sessions list sorted, filtered and paged in SQL (both backends) gives exactly the rows, in
exactly the order, that sorting every session in Python gave (the reference below is that code), and
a page reads no more than a page of rows."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from clawscope import analytics
from clawscope.analytics import browse
from clawscope.ingest import ingest
from clawscope.model import Filters, SessionQuery
from clawscope.store import Store
from clawscope.timeutil import parse_iso_ms
from clawscope.web.dashboard.data import SESSION_SORTS
from tests.support.builders import assistant, state_dir, user, write_session
from tests.support.env import FIXTURES

T = "2026-11-0{d}T1{h}:00:0{s}.000Z"


def _session(n: int, day: int, cost: float, model: str = "claude-sonnet-4-5", calls: int = 1) -> list[Any]:
    records = [user(f"task {n}", ts=T.format(d=day, h=n % 10, s=0))]
    for i in range(calls):
        provider = "openai" if model.startswith("gpt") else "anthropic"
        records.append(
            assistant(cost=cost, model=model, provider=provider, ts=T.format(d=day, h=n % 10, s=i + 1))
        )
    return records


@pytest.fixture
def varied(store: Store, tmp_path: Path) -> Store:
    """Sessions with equal costs, equal times, no channel, two agents, several kinds and models."""
    ingest(store, [FIXTURES / "openclaw-2026.3.24-jsonl"], instance="test-host", estimate=False)
    specs = [  # (agent, key, day, cost, model, calls)
        ("main", "agent:main:main", 3, 0.05, "claude-sonnet-4-5", 2),
        ("main", "agent:main:telegram:group:-100123", 3, 0.05, "gpt-5-mini", 1),
        ("main", "agent:main:cron:nightly", 4, 0.20, "claude-opus-4-1", 3),
        ("main", None, 4, 0.05, "claude-sonnet-4-5", 1),
        ("ops", "agent:ops:main", 5, 0.01, "gpt-5-mini", 4),
        ("ops", "agent:ops:discord:channel:42", 5, 0.20, "claude-sonnet-4-5", 1),
        ("ops", "agent:ops:subagent:abc", 6, 0.00, "claude-sonnet-4-5", 1),
        ("ops", None, 6, 0.01, "gpt-5-mini", 2),
    ]
    for n, (agent, key, day, cost, model, calls) in enumerate(specs):
        sessions = state_dir(tmp_path / "state", agent)
        sid = f"5e55{n:04d}-0000-4000-8000-000000000000"
        write_session(sessions, sid, _session(n % 2, day, cost, model, calls), key=key)
    ingest(store, [tmp_path / "state"], instance="test-host", estimate=False)
    return store


def reference(
    store: Store, f: Filters, search: str, sort: str, desc: bool, model: str | None, trigger: str | None
):
    """The former Python implementation: every session of the period, filtered and sorted in Python."""
    rows = analytics.sessions(store, f)
    if model:
        q = SessionQuery(model=model, since_ms=f.since_ms, until_ms=f.until_ms, agent=f.agent)
        called = {s["sessionId"] for s in browse.page(store, q, 100_000, None)["sessions"]}
        rows = [r for r in rows if r["sessionId"] in called]
    if trigger:
        rows = [r for r in rows if r["trigger"] == trigger]
    for r in rows:
        r["durationS"] = (
            (parse_iso_ms(r["lastAt"]) - parse_iso_ms(r["firstAt"])) / 1000
            if r["firstAt"] and r["lastAt"]
            else 0.0
        )
    needle = search.strip().lower()
    if needle:
        fields = ("sessionId", "key", "label", "agent", "channel", "model", "kind")
        rows = [r for r in rows if any(needle in str(r[k] or "").lower() for k in fields)]
    key = SESSION_SORTS[sort]
    rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0), reverse=desc)
    if desc:
        rows.sort(key=lambda r: r[key] is None)
    return rows


CASES = [  # (filters, search, model, trigger)
    (Filters(), "", None, None),
    (Filters(), "  MAIN ", None, None),
    (Filters(), "sonnet", None, None),
    (Filters(agent="ops"), "", None, None),
    (Filters(), "", "gpt-5-mini", None),
    (Filters(), "", None, "main"),
    (
        Filters(
            since_ms=parse_iso_ms("2026-11-04T00:00:00.000Z"),
            until_ms=parse_iso_ms("2026-11-06T00:00:00.000Z"),
        ),
        "",
        None,
        None,
    ),
    (Filters(), "nothing-matches-this", None, None),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_every_sort_and_filter_gives_the_python_order(varied: Store, case: int) -> None:
    f, search, model, trigger = CASES[case]
    for sort, desc in itertools.product(SESSION_SORTS, (True, False)):
        want = reference(varied, f, search, sort, desc, model, trigger)
        got = browse.listing(varied, f, search, model, trigger, sort, desc)
        ids = [r["sessionId"] for r in got]
        assert ids == [r["sessionId"] for r in want], (sort, desc)
        assert [{k: v for k, v in r.items() if k != "durationS"} for r in got] == [
            {k: v for k, v in r.items() if k != "durationS"} for r in want
        ]
        assert browse.count(varied, f, search, model, trigger) == len(want)
        pages = [
            browse.listing(varied, f, search, model, trigger, sort, desc, 3, o)
            for o in range(0, len(want) + 3, 3)
        ]
        assert [r["sessionId"] for p in pages for r in p] == ids, (sort, desc)


def test_facets_are_the_distinct_values_of_the_period(varied: Store) -> None:
    rows = analytics.sessions(varied, Filters())
    want = {k: sorted({str(s[k]) for s in rows if s[k]}) for k in ("agent", "kind", "channel", "trigger")}
    assert browse.facets(varied, Filters()) == want
    assert len(want["agent"]) == 2 and want["channel"]


def test_a_page_reads_a_page_of_rows(varied: Store) -> None:
    """Every statement a page runs, run again, returns at most the page's rows (or one count)."""
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement: str, parameters: Any, *_args) -> None:  # type: ignore[no-untyped-def]
        # (each read first probes whether webhook roll-ups are owed: one index probe, no rows)
        if statement.lstrip().upper().startswith("SELECT") and "rollup_pending" not in statement:
            statements.append((statement, parameters))

    total = browse.count(varied, Filters())
    assert total > 6
    event.listen(varied.engine, "before_cursor_execute", record)
    try:
        for sort in ("cost", "model", "last"):
            page = browse.listing(varied, Filters(), "", None, None, sort, True, 2, 2)
            assert len(page) == 2
        assert browse.count(varied, Filters(), "main") >= 1
    finally:
        event.remove(varied.engine, "before_cursor_execute", record)
    # (and on PostgreSQL the most-recent-first listing probes once whether a session lacks a last time)
    assert len(statements) == (5 if varied.engine.dialect.name == "postgresql" else 4)
    with varied.engine.connect() as conn:
        for statement, parameters in statements:
            assert len(conn.exec_driver_sql(statement, parameters).all()) <= 2, statement


def test_session_cost_statistics_are_the_same_computed_by_either_side(varied: Store) -> None:
    """`/stats/sessions`' cost statistics: PostgreSQL computes them in the database (percentile_cont),
    SQLite sorts the amounts in Python; both equal the sorted amounts' own statistics."""
    from clawscope.analytics.metrics import cost_stats, cost_stats_in_usd, cost_stats_nano

    last = max(varied.sessions.costs(Filters()))
    assert last > 0
    for f in (
        Filters(),
        Filters(agent="ops"),
        Filters(since_ms=1_793_750_400_000),  # from 2026-11-04
        Filters(until_ms=1),  # no session: every statistic but the count is None
    ):
        amounts = varied.sessions.costs(f)
        want = cost_stats([a / 1e9 for a in amounts])
        _same_stats(cost_stats_nano(amounts), want)
        in_db = varied.sessions.cost_stats(f)
        if varied.engine.dialect.name == "sqlite":
            assert in_db is None
            continue
        assert in_db is not None
        _same_stats(cost_stats_in_usd(in_db), want)
    assert cost_stats_nano([])["p50"] is None and want["count"] == 0


def _same_stats(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert got[k] == (v if v is None else pytest.approx(v, rel=1e-12)), (k, got, want)


def test_session_scans_read_the_narrow_index_not_the_rows(varied: Store) -> None:
    """The Sessions page's count and filter choices and `/stats/sessions`' amounts read the covering
    index `ix_sessions_scan` (revision 0027), and the default listing (most recent first) walks
    ix_sessions_last_ms backwards instead of sorting every session: SQLite's plans say so whatever the
    size. PostgreSQL picks by its statistics (a table of a few rows is read whole; bench/api.py shows its
    index-only scans at a million calls): there the statements are checked for the forms those plans
    need (the raw kind columns, the plain descending order)."""
    postgres = varied.engine.dialect.name == "postgresql"
    explain = "EXPLAIN QUERY PLAN "
    statements: list[tuple[str, Any]] = []

    def record(_conn, _cursor, statement: str, parameters: Any, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "rollup_pending" not in statement:
            statements.append((statement, parameters))

    period = Filters(since_ms=parse_iso_ms("2026-11-04T00:00:00.000Z"))
    plans: dict[str, list[str]] = {}
    for name, read in (
        ("count", lambda f: browse.count(varied, f)),
        ("facets", lambda f: browse.facets(varied, f)),
        ("listing", lambda f: browse.listing(varied, f, "", None, None, "last", True, 50, 0)),
    ):
        for f in (Filters(), period):
            statements.clear()
            event.listen(varied.engine, "before_cursor_execute", record)
            try:
                read(f)
            finally:
                event.remove(varied.engine, "before_cursor_execute", record)
            if postgres:
                texts = " ".join(" ".join(statement.split()) for statement, _ in statements)
                want = {
                    "count": "SELECT COUNT(*) FROM sessions s WHERE s.n_entries > 0",
                    "facets": "SELECT DISTINCT s.key_kind, s.inferred_kind, s.channel, s.agent_id FROM",
                    "listing": "ORDER BY s.last_ms DESC, s.sid DESC LIMIT",
                }[name]
                assert want in texts, texts
                continue
            with varied.engine.connect() as conn:
                plans[name] = [
                    str(row[-1])
                    for statement, parameters in statements
                    for row in conn.exec_driver_sql(explain + statement, parameters)
                ]
            if name == "listing":
                assert not any("TEMP B-TREE FOR ORDER BY" in p for p in plans[name][:2]), plans[name]
                assert any("ix_sessions_last_ms" in p for p in plans[name]), plans[name]
            else:
                assert any("COVERING INDEX ix_sessions_scan" in p for p in plans[name]), plans[name]
    if postgres:  # and the index holds every column those statements read
        from sqlalchemy import inspect

        found = {i["name"]: i["column_names"] for i in inspect(varied.engine).get_indexes("sessions")}
        held = {"last_ms", "first_ms", "n_entries", "cost_usd", "est_cost_usd", "key_kind", "inferred_kind"}
        assert held | {"channel", "agent_id", "instance", "sid"} <= set(found["ix_sessions_scan"])
        return
    # the amounts too (SQLite reads them through the driver, so from the plan of their statement)
    sql = "SELECT s.cost_usd + s.est_cost_usd FROM sessions s WHERE s.n_entries > 0 AND 1=1"
    with varied.engine.connect() as conn:
        plan = [str(r[-1]) for r in conn.exec_driver_sql(explain + sql)]
    assert any("COVERING INDEX ix_sessions_scan" in p for p in plan), plan


def test_sessions_without_a_last_activity_sort_last_on_either_backend(varied: Store, tmp_path: Path) -> None:
    """The default order (most recent first) keeps sessions without a last activity last, newest sid
    first: the fast form (walking ix_sessions_last_ms) is used on PostgreSQL only while no such session
    exists, and both forms give the Python order, whole and paged."""
    f = Filters()
    before = [r["sessionId"] for r in browse.listing(varied, f, "", None, None, "last", True)]
    assert before == [r["sessionId"] for r in reference(varied, f, "", "last", True, None, None)]
    sessions = state_dir(tmp_path / "timeless", "main")
    timeless = [f"0de{n}0000-0000-4000-8000-000000000000" for n in range(2)]
    for n, sid in enumerate(timeless):
        write_session(sessions, sid, [user(f"no time {n}")])
    ingest(varied, [tmp_path / "timeless"], instance="test-host", estimate=False)
    with varied.engine.begin() as conn:  # as a session whose entries carry no time is stored
        for sid in timeless:
            conn.exec_driver_sql(
                "UPDATE sessions SET first_ms = NULL, last_ms = NULL WHERE session_id = "
                + ("%(s)s" if conn.dialect.name == "postgresql" else ":s"),
                {"s": sid},
            )
    for desc in (True, False):
        want = [r["sessionId"] for r in reference(varied, f, "", "last", desc, None, None)]
        got = [r["sessionId"] for r in browse.listing(varied, f, "", None, None, "last", desc)]
        assert got == want, desc
        assert sorted(got[-2:]) == timeless, desc  # last either way
        paged = [
            browse.listing(varied, f, "", None, None, "last", desc, 4, o) for o in range(0, len(want), 4)
        ]
        assert [r["sessionId"] for page in paged for r in page] == want, desc

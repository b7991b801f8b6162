"""Money to the last digit (issue 13): the same prices give the same total on every path — raw rows or
roll-ups, SQLite or PostgreSQL, any ingest batch size, any order of the calls — and that total is
exactly the sum of the half-even nano-dollars of what OpenClaw wrote, over 10⁹. Float sums (before
revision 0016) differed in their last digits with all four. Migration 0016 turns a store of REAL
dollars into the same content as a store written in nano-dollars."""

from __future__ import annotations

import random
import uuid
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Float, MetaData, inspect, select, text

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store, schema
from clawscope.store import rollup_totals as rolled
from clawscope.store import row_totals as raw
from clawscope.store.migrate import head_revision, migrate
from tests.support import builders as b
from tests.support.money import exact_usd
from tests.support.tables import differences, dump

NANO = Decimal("1e-9")
HOUR = "2026-11-01T{:02d}:{:02d}:00.000Z"


def write_state(root: Path, agent: str, sessions: list[list[float]]) -> None:
    folder = b.state_dir(root, agent)
    for i, costs in enumerate(sessions):
        records = []
        for j, cost in enumerate(costs):
            ts = HOUR.format(10 + j % 3, j % 60)  # calls over three hours: several roll-up rows
            records += [b.user("go", ts=ts), b.assistant(cost=cost, ts=ts)]
        b.write_session(folder, f"{agent}-{i}-{uuid.uuid4().hex[:8]}", records)


def check_totals(store: Store, agent: str, costs: list[float]) -> None:
    want = exact_usd(costs)
    f = Filters(agent=agent)
    with store.engine.connect() as conn:
        assert raw.totals(conn, f)["costUSD"] == want
        assert rolled.totals(conn, f)["costUSD"] == want
        for by in ("model", "hour", "day"):
            assert sum(g["llmCalls"] for g in rolled.groups(conn, f, by)) == len(costs)
            assert [g["costUSD"] for g in raw.groups(conn, f, by)] == [
                g["costUSD"] for g in rolled.groups(conn, f, by)
            ]
        sessions = conn.execute(
            select(schema.sessions.c.cost_usd).where(schema.sessions.c.agent_id == agent)
        ).scalars()
        metric = conn.execute(text("SELECT cost FROM metric_calls WHERE agent = :a"), {"a": agent}).scalars()
        assert float(Decimal(sum(sessions)) * NANO) == want
        assert float(Decimal(sum(metric)) * NANO) == want
    assert (
        store.totals.period(Filters(agent=agent, since_ms=1, until_ms=4_102_444_800_001))["costUSD"] == want
    )
    assert analytics.stats(store, f)["totals"]["costUSD"] == want


PRICE = st.one_of(
    st.integers(0, 5 * 10**12).map(lambda n: float(Decimal(n).scaleb(-12))),  # up to $5, 12 decimals
    st.integers(0, 10**6).map(lambda n: float(f"{n}.5e-9")),  # half a nano-dollar: a tie
    st.sampled_from([0.1, 0.2, 0.3, 0.7, 1e-9, 0.000123456789]),
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    costs=st.lists(PRICE, min_size=1, max_size=24),
    batch=st.sampled_from([1, 2, 3, 5, 8, 500]),
    shuffle=st.randoms(use_true_random=False),
    cut=st.integers(1, 4),
)
@example(costs=[0.1, 0.2, 0.3] * 4, batch=1, shuffle=random.Random(1), cut=1)
@example(costs=[0.3, 0.2, 0.1] * 4, batch=500, shuffle=random.Random(2), cut=3)
def test_every_path_gives_the_exact_same_total(
    db_url: str, tmp_path_factory, costs: list[float], batch: int, shuffle: random.Random, cut: int
) -> None:
    ordered = list(costs)
    shuffle.shuffle(ordered)
    size = -(-len(ordered) // cut)
    sessions = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    agent = "a" + uuid.uuid4().hex[:10]  # one store per backend: each example is its own agent
    root = tmp_path_factory.mktemp("state")
    write_state(root, agent, sessions)
    with Store(db_url) as store:
        ingest(store, [root], instance="test", estimate=False, batch_entries=batch)
        check_totals(store, agent, costs)


def test_the_same_prices_in_other_orders_and_batches_give_one_total(db_url: str, tmp_path: Path) -> None:
    """Fails with float money: 0.1 + 0.2 + 0.3 is 0.6000000000000001 in one order, 0.6 in another."""
    costs = [0.1, 0.2, 0.3, 0.000000001, 0.7] * 6
    totals = set()
    for n, (order, batch) in enumerate(((costs, 500), (costs[::-1], 1), (sorted(costs), 3))):
        agent = f"order{n}"
        write_state(tmp_path / agent, agent, [order[:7], order[7:]])
        with Store(db_url) as store:
            ingest(store, [tmp_path / agent], instance="test", estimate=False, batch_entries=batch)
            check_totals(store, agent, costs)
            totals.add(store.totals.period(Filters(agent=agent))["costUSD"])
    assert totals == {exact_usd(costs)}


MONEY = {
    "llm_calls": (
        "cost_input",
        "cost_output",
        "cost_cache_read",
        "cost_cache_write",
        "cost_total",
        "est_cost",
    ),
    "observations": ("cost_usd",),
    "sessions": ("cost_usd", "est_cost_usd"),
    "rollup_calls": ("cost", "est_cost"),
    "rollup_hourly": ("cost", "est_cost"),
    "metric_calls_sid": ("cost", "est_cost"),
    "metric_calls": ("cost", "est_cost"),
}


def _back_to_real_dollars(store: Store) -> None:
    """The money tables as before revision 0016: REAL columns of dollars (sums as floats would have them)."""
    with store.engine.begin() as conn:
        for name, cols in MONEY.items():
            table = schema.metadata.tables[name]
            stored = [c for c in table.columns if c.computed is None]  # (generated columns are not)
            rows = [dict(r._mapping) for r in conn.execute(select(*stored))]
            old = table.to_metadata(MetaData())
            for c in cols:
                old.c[c].type = Float()
            conn.execute(text(f"DROP TABLE {name}"))
            old.create(conn)
            for r in rows:
                for c in cols:
                    r[c] = None if r[c] is None else int(r[c]) / 10**9
            if rows:
                conn.execute(old.insert(), rows)
        conn.execute(text("UPDATE alembic_version SET version_num = '0015'"))


def _shape(store: Store) -> dict[str, tuple[list[tuple[str, str]], list[tuple[tuple[str, ...], bool]]]]:
    with store.engine.connect() as conn:
        seen = inspect(conn)
        return {
            t: (
                sorted((c["name"], str(c["type"])) for c in seen.get_columns(t)),
                sorted((tuple(ix["column_names"]), bool(ix["unique"])) for ix in seen.get_indexes(t)),
            )
            for t in MONEY
        }


def test_migration_0016_converts_real_dollars_to_the_same_store(fixture_copy, db_url: str) -> None:
    samples = [fixture_copy("openclaw-2026.3.24-jsonl"), fixture_copy("openclaw-2026.9.6-sqlite")]
    with Store(db_url) as store:
        ingest(store, samples, instance="test", estimate=True)
        before, shape = dump(store), _shape(store)
        assert any(r for r in before["llm_calls"])
        _back_to_real_dollars(store)
        with store.engine.connect() as conn:
            assert isinstance(conn.execute(text("SELECT max(cost_total) FROM llm_calls")).scalar(), float)
        assert migrate(store.engine) == head_revision()
        assert differences(before, dump(store)) == []
        assert _shape(store) == shape  # the same columns, types and indexes as a new store
        with store.engine.connect() as conn:
            assert isinstance(conn.execute(text("SELECT max(cost_total) FROM llm_calls")).scalar(), int)
        assert migrate(store.engine) == head_revision()  # a second run changes nothing
        assert differences(before, dump(store)) == []

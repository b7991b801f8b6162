"""Money in integer nano-dollars (issue 13): every cost column becomes a BIGINT of nano-dollars.

Stored amounts (a call's reported costs and estimate, an observation's cost) are converted one by one,
rounded half-even (`clawscope.money.to_nano`). Sums (session, analytics and metrics roll-ups) are not
converted but recomputed from the converted rows, so they are exactly the sums of what is stored.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0018"
branch_labels = None
depends_on = None

# Amounts as stored, with the columns that name a row.
_STORED = {
    "llm_calls": (
        ("sid", "entry_id"),
        ("cost_input", "cost_output", "cost_cache_read", "cost_cache_write", "cost_total", "est_cost"),
    ),
    "observations": (("id",), ("cost_usd",)),
}
# Sums, recomputed from the rows.
_SUMS = {
    "sessions": ("cost_usd", "est_cost_usd"),
    "rollup_calls": ("cost", "est_cost"),
    "rollup_hourly": ("cost", "est_cost"),
    "metric_calls_sid": ("cost", "est_cost"),
    "metric_calls": ("cost", "est_cost"),
}
_CHUNK = 2000


def upgrade() -> None:
    from clawscope.store import metric_rollups
    from clawscope.store.rollup_sessions import refresh_rollups

    conn = op.get_bind()
    # A column already BIGINT holds nano-dollars (a database created from schema.py at 0016 or later
    # and stamped older): nothing to convert.
    real = {t: cols for t, cols in _money_columns().items() if not _is_integer(conn, t, cols[0])}
    if not real:
        return
    for table, (keys, cols) in _STORED.items():
        if table in real:
            _convert(conn, table, keys, cols)
    for table, cols in _SUMS.items():
        if table in real:
            conn.execute(sa.text(f"UPDATE {table} SET " + ", ".join(f"{c} = 0" for c in cols)))
    for table, cols in real.items():
        _to_bigint(conn, table, cols)
    refresh_rollups(conn, [r[0] for r in conn.execute(sa.text("SELECT sid FROM sessions"))])
    metric_rollups.rebuild(conn)


def _money_columns() -> dict[str, tuple[str, ...]]:
    return {**{t: cols for t, (_, cols) in _STORED.items()}, **_SUMS}


def _is_integer(conn: Any, table: str, column: str) -> bool:
    types = {c["name"]: c["type"] for c in sa.inspect(conn).get_columns(table)}
    return isinstance(types[column], sa.Integer)


def _convert(conn: Any, table: str, keys: tuple[str, ...], cols: tuple[str, ...]) -> None:
    """Each amount becomes its whole nano-dollars while the column is still REAL (an integer below 2^53
    is exact in it, and the type change below keeps it). Read in key order, a page at a time."""
    from clawscope.money import to_nano

    some = " OR ".join(f"{c} IS NOT NULL" for c in cols)
    key = ", ".join(keys)
    after = f"({key}) > ({', '.join(':k_' + k for k in keys)})"
    page = f"SELECT {key}, {', '.join(cols)} FROM {table} WHERE ({some}) {{}} ORDER BY {key} LIMIT {_CHUNK}"
    sets = ", ".join(f"{c} = :{c}" for c in cols)
    update = sa.text(f"UPDATE {table} SET {sets} WHERE " + " AND ".join(f"{k} = :{k}" for k in keys))
    n, last = len(keys), None
    while True:
        params: dict[str, Any] = (
            {} if last is None else {f"k_{k}": v for k, v in zip(keys, last, strict=True)}
        )
        rows = conn.execute(sa.text(page.format("" if last is None else f"AND {after}")), params).all()
        if not rows:
            return
        batch = []
        for r in rows:
            amounts = {
                c: None if v is None else float(to_nano(float(v))) for c, v in zip(cols, r[n:], strict=True)
            }
            batch.append({**dict(zip(keys, r[:n], strict=True)), **amounts})
        conn.execute(update, batch)
        last = tuple(rows[-1][:n])


def _to_bigint(conn: Any, table: str, cols: tuple[str, ...]) -> None:
    if conn.dialect.name == "postgresql":
        for c in cols:
            using = f"{c}::bigint"
            op.alter_column(table, c, type_=sa.BigInteger(), existing_type=sa.Float(), postgresql_using=using)
        return
    # SQLite cannot change a column's type: the table is copied into one with the new types. A generated
    # column cannot be copied into: it is dropped and added back, and computes its values again.
    generated = [c for c in sa.inspect(conn).get_columns(table) if c.get("computed")]
    with op.batch_alter_table(table, recreate="always") as batch:
        for c in cols:
            batch.alter_column(c, type_=sa.BigInteger(), existing_type=sa.Float())
        for g in generated:
            batch.drop_column(g["name"])
            computed = sa.Computed(g["computed"]["sqltext"], persisted=g["computed"].get("persisted"))
            batch.add_column(sa.Column(g["name"], g["type"], computed))

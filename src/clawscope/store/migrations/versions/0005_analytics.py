"""Analytics roll-ups: exact per session × hour × trigger × model pre-aggregates for fast stats."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_KEY = {"sid": sa.BigInteger, "hour_ms": sa.BigInteger, "turn_trigger": sa.Text}


def _key(*extra: str) -> list[sa.Column]:  # type: ignore[type-arg]
    cols: list[sa.Column] = [sa.Column(name, typ, nullable=False) for name, typ in _KEY.items()]  # type: ignore[type-arg]
    return cols + [sa.Column(name, sa.Text, nullable=False) for name in extra]


def _metric(name: str, typ: type = sa.BigInteger) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, typ, nullable=False)


def upgrade() -> None:
    op.create_table(
        "rollup_calls",
        *_key("provider", "model"),
        *[
            _metric(n)
            for n in (
                "llm_calls",
                "errors",
                "tokens_in",
                "tokens_out",
                "cache_read",
                "cache_write",
                "total_tokens",
            )
        ],
        _metric("cost", sa.Float),
        _metric("est_cost", sa.Float),
        _metric("tool_calls"),
        _metric("tool_errors"),
        _metric("latency_sum"),
        _metric("latency_n"),
        sa.PrimaryKeyConstraint(
            "sid", "hour_ms", "turn_trigger", "provider", "model", name="pk_rollup_calls"
        ),
    )
    op.create_index("ix_rollup_calls_hour_ms", "rollup_calls", ["hour_ms"])
    op.create_table(
        "rollup_entries",
        *_key(),
        _metric("entries"),
        _metric("messages"),
        sa.PrimaryKeyConstraint("sid", "hour_ms", "turn_trigger", name="pk_rollup_entries"),
    )
    op.create_index("ix_rollup_entries_hour_ms", "rollup_entries", ["hour_ms"])
    # Fill them for the sessions already stored.
    from clawscope.store.rollups import refresh_rollups

    conn = op.get_bind()
    refresh_rollups(conn, [r[0] for r in conn.execute(sa.text("SELECT sid FROM sessions"))])

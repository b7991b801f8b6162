"""The event log behind the SSE stream and the observations of hook events and OTLP (issue 6)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("agent", sa.Text),
        sa.Column("session_id", sa.Text),
        sa.Column("kind", sa.Text),
        sa.Column("instance", sa.Text),
        sa.Column("payload", sa.Text, nullable=False),
    )
    op.create_index("ix_events_ts_ms", "events", ["ts_ms"])
    op.create_table(
        "observations",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
        sa.Column("instance", sa.Text),
        sa.Column("agent", sa.Text),
        sa.Column("session_id", sa.Text),
        sa.Column("session_key", sa.Text),
        sa.Column("run_id", sa.Text),
        sa.Column("call_id", sa.Text),
        sa.Column("tool_name", sa.Text),
        sa.Column("provider", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("tokens_in", sa.BigInteger),
        sa.Column("tokens_out", sa.BigInteger),
        sa.Column("cache_read", sa.BigInteger),
        sa.Column("cache_write", sa.BigInteger),
        sa.Column("total_tokens", sa.BigInteger),
        sa.Column("cost_usd", sa.Float),
        sa.Column("value", sa.Float),
        sa.Column("duration_ms", sa.Float),
        sa.Column("is_error", sa.Boolean),
        sa.Column("dedupe", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.UniqueConstraint("dedupe", name="uq_observations_dedupe"),
    )
    op.create_index("ix_observations_session_id", "observations", ["session_id"])
    op.create_index("ix_observations_category_ts_ms", "observations", ["category", "ts_ms"])

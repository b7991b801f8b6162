"""Exports (issue 16): the metrics roll-ups behind `/metrics` and the OTLP metrics, the per-endpoint
request counters, and the OTLP export cursor (turns sent per target)."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0011 section); created here as defined.
    from clawscope.store import metric_rollups, schema

    conn = op.get_bind()
    for table in (
        schema.metric_calls_sid,
        schema.metric_tools_sid,
        schema.metric_calls,
        schema.metric_tools,
        schema.request_counts,
        schema.otlp_turns,
        schema.otlp_sessions,
    ):
        table.create(conn, checkfirst=True)
    schema.empty_sessions_index.create(conn, checkfirst=True)
    # Fill the metrics roll-ups for the sessions already stored.
    metric_rollups.refresh(conn, [r[0] for r in conn.execute(sa.text("SELECT sid FROM sessions"))])

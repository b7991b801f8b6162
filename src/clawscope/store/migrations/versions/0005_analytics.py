"""Analytics roll-ups: exact per session × hour and per hour × attributes × model pre-aggregates."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0005 section); created here as defined.
    from clawscope.store import schema
    from clawscope.store.rollup_sessions import refresh_rollups

    conn = op.get_bind()
    for table in (schema.rollup_calls, schema.rollup_entries, schema.rollup_hourly):
        table.create(conn)
    # the fill below maintains the daily roll-up too (revision 0018), so it must exist by now
    schema.rollup_daily.create(conn, checkfirst=True)
    # Fill them for the sessions already stored.
    refresh_rollups(conn, [r[0] for r in conn.execute(sa.text("SELECT sid FROM sessions"))])

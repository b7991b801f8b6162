"""Alerts (issue 15): rules and their channels, silences, firing state, history, the outbox and its
delivery attempts."""

from alembic import op

revision = "0015"
down_revision = "0014"  # (re-chained on merging detect-core)
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0015 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    for table in schema.ALERT_TABLES:
        table.create(conn, checkfirst=True)

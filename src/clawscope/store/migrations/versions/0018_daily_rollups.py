"""Daily analytics roll-up (issue 17): `rollup_hourly` summed per UTC day, so that stats over a long
history read days instead of hours; filled from the hourly rows already stored."""

from alembic import op

revision = "0018"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is defined once, in schema.py (revision 0018 section); created here as defined.
    from clawscope.store import schema
    from clawscope.store.rollup_hours import refresh_all_days

    conn = op.get_bind()
    schema.rollup_daily.create(conn, checkfirst=True)
    refresh_all_days(conn)

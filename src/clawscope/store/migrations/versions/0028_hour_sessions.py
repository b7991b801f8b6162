"""Distinct sessions and messages per hour × session attributes, and per hour alone (issue 17):
`/stats/hours` sums `rollup_hour_totals` (filtered) or reads `rollup_hour_all` (unfiltered) instead of
counting distinct sessions over every entry roll-up row; filled from the roll-ups already stored."""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the columns are defined once, in schema.py (revision 0028); a store that reached revision 0025
    # after this one was written created the table with them already
    from clawscope.store import schema
    from clawscope.store.rollup_hours import refresh_all_hour_sums

    conn = op.get_bind()
    have = {c["name"] for c in sa.inspect(conn).get_columns("rollup_hour_totals")}
    for name in schema.HOUR_SESSION_MEASURES:
        if name not in have:
            op.add_column(
                "rollup_hour_totals", sa.Column(name, sa.BigInteger, nullable=False, server_default="0")
            )
    schema.rollup_hour_all.create(conn, checkfirst=True)
    refresh_all_hour_sums(conn)


def downgrade() -> None:
    from clawscope.store import schema

    schema.rollup_hour_all.drop(op.get_bind(), checkfirst=True)
    with op.batch_alter_table("rollup_hour_totals") as batch:
        for name in reversed(schema.HOUR_SESSION_MEASURES):
            batch.drop_column(name)

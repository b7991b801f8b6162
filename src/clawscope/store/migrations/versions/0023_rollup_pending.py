"""Roll-ups owed (issue 17, webhooks): `rollup_pending`, the sessions whose analytics roll-ups are stale."""

from alembic import op

revision = "0023"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is defined once, in schema.py (revision 0023 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    for table in schema.PENDING_TABLES:
        table.create(conn, checkfirst=True)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    for table in reversed(schema.PENDING_TABLES):
        table.drop(conn, checkfirst=True)

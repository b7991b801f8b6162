"""Transcript retention (issue 17, item 8): `pruned_sessions`, the sessions whose raw text was pruned."""

from alembic import op

revision = "0024"
down_revision = "0022"  # (the lead re-chains it at merge)
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is defined once, in schema.py (revision 0024 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    for table in schema.RETENTION_TABLES:
        table.create(conn, checkfirst=True)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    for table in reversed(schema.RETENTION_TABLES):
        table.drop(conn, checkfirst=True)

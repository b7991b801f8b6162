"""The semantic judge (issue 19): its calls, cached verdicts and spend (`judge_calls`)."""

from alembic import op

revision = "0022"
down_revision = "0017"  # (the lead re-chains it at merge)
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The table is defined once, in schema.py (revision 0022 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    for table in schema.JUDGE_TABLES:
        table.create(conn, checkfirst=True)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    for table in reversed(schema.JUDGE_TABLES):
        table.drop(conn, checkfirst=True)

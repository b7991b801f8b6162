"""Reconciliation and top-session roll-ups (issue 17): the priced model calls per session × hour and per
day (`rollup_priced_sid`, `rollup_priced_daily`), filled from the calls already stored, and the
sessions' cost indexes."""

from alembic import op

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables and indexes are defined once, in schema.py (revision 0026 section); created as defined.
    from clawscope.store import rollup_priced, schema

    conn = op.get_bind()
    for table in schema.ROLLUP_0026_TABLES:
        table.create(conn, checkfirst=True)
    for index in schema.ROLLUP_0026_INDEXES:
        index.create(conn, checkfirst=True)
    rollup_priced.rebuild(conn)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    for index in reversed(schema.ROLLUP_0026_INDEXES):
        index.drop(conn, checkfirst=True)
    for table in reversed(schema.ROLLUP_0026_TABLES):
        table.drop(conn, checkfirst=True)

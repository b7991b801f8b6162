"""A narrow covering index for scans of the sessions active in a period (issue 17): the Sessions page's
count, filter choices and sorts and `/stats/sessions`' percentiles read it instead of the wide rows."""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # defined once, in schema.py (revision 0027), created as defined
    from clawscope.store import schema

    conn = op.get_bind()
    for index in schema.SESSIONS_0027_INDEXES:
        index.create(conn, checkfirst=True)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    for index in reversed(schema.SESSIONS_0027_INDEXES):
        index.drop(conn, checkfirst=True)

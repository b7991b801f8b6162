"""Access and secrets (issue 13): per-key request windows shared by every server process, and the
registered instance each pushed session belongs to."""

from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0014 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    schema.rate_windows.create(conn, checkfirst=True)
    schema.session_owners.create(conn, checkfirst=True)

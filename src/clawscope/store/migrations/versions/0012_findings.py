"""Findings (issue 14): what the failure detectors found, and per session what they last looked at."""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0012 section); created here as defined.
    from clawscope.store import schema

    conn = op.get_bind()
    for table in (schema.findings, schema.detection_state):
        table.create(conn, checkfirst=True)

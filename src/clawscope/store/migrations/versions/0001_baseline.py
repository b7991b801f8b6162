"""Baseline: the schema of clawscope 0.1 (a new database is created from schema.py directly)."""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: databases at this revision were created from the baseline schema."""

"""Remote ingestion: instances, registered agents, webhook nonces (issue 6)."""

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""

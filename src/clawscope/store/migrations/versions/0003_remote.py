"""Remote ingestion: instances, registered agents, webhook nonces (issue 6)."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openclaw_instances",
        sa.Column("instance_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("gateway_url", sa.Text, nullable=False),
        sa.Column("gateway_token_enc", sa.Text),
        sa.Column("otel_endpoint", sa.Text),
        sa.Column("otel_enabled", sa.Boolean, nullable=False),
        sa.Column("ingestion_mode", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "openclaw_agents",
        sa.Column("agent_id", sa.Text, primary_key=True),
        sa.Column("instance_id", sa.Text, nullable=False),
        sa.Column("agent_key", sa.Text, nullable=False),
        sa.Column("agent_name", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("secret_enc", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("rotated_ms", sa.BigInteger),
        sa.UniqueConstraint("instance_id", "agent_key"),
    )
    op.create_table(
        "webhook_nonces",
        sa.Column("nonce", sa.Text, primary_key=True),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_webhook_nonces_seen_ms", "webhook_nonces", ["seen_ms"])

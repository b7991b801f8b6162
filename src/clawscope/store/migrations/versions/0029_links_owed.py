"""Parent links are made again only when owed (issue 17): an ingest that wrote nothing skips the
linking's scan of every sub-agent session. A store from before this revision owes one linking (its
last ingest may have stopped before linking), so the marker row is set once here."""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    cursors = sa.table(
        "cursors", sa.column("key", sa.Text), sa.column("value", sa.Text), sa.column("updated_ms")
    )
    conn = op.get_bind()
    if conn.execute(sa.select(cursors.c.key).where(cursors.c.key == "links:owed")).first() is None:
        conn.execute(cursors.insert().values(key="links:owed", value="1", updated_ms=0))


def downgrade() -> None:
    op.execute("DELETE FROM cursors WHERE key = 'links:owed'")

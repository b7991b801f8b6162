"""Full-text search over transcript entries (issue 18): `search_docs` and its FTS5 table (SQLite) or
tsvector index (PostgreSQL), filled with the entries already stored."""

from alembic import op

revision = "0017"
down_revision = "0016"  # (the lead re-chains revisions at merge)
branch_labels = None
depends_on = None


def upgrade() -> None:
    from clawscope.store import search

    conn = op.get_bind()
    search.create(conn)
    search.backfill(conn)


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_table("search_docs")
    if conn.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")

"""Event ids are never reused, and events are pruned by when they were stored (issue 11).

SQLite hands out `max(rowid) + 1` unless the table says AUTOINCREMENT, so after a prune the next
event could get an id a subscriber had already seen and never be delivered. The table is rebuilt
with AUTOINCREMENT (PostgreSQL's sequence never goes back). `created_ms`, the time the row was
stored, is what the retention applies to: `ts_ms` is the data's own time, which for imported
history may be months old.
"""

import sqlalchemy as sa
from alembic import op

from clawscope.timeutil import now_ms

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLS = "id, ts_ms, type, agent, session_id, kind, instance, payload"


def upgrade() -> None:
    conn = op.get_bind()
    now = now_ms()
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP INDEX IF EXISTS ix_events_ts_ms"))
        conn.execute(sa.text("ALTER TABLE events RENAME TO events_0005"))
        conn.execute(
            sa.text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms BIGINT NOT NULL, "
                "created_ms BIGINT NOT NULL, type TEXT NOT NULL, agent TEXT, session_id TEXT, "
                "kind TEXT, instance TEXT, payload TEXT NOT NULL)"
            )
        )
        conn.execute(
            sa.text(f"INSERT INTO events ({_COLS}, created_ms) SELECT {_COLS}, :now FROM events_0005"),
            {"now": now},
        )
        conn.execute(sa.text("DROP TABLE events_0005"))
    else:
        op.add_column("events", sa.Column("created_ms", sa.BigInteger, nullable=True))
        conn.execute(sa.text("UPDATE events SET created_ms = :now"), {"now": now})
        op.alter_column("events", "created_ms", nullable=False)
        op.drop_index("ix_events_ts_ms", table_name="events")
    op.create_index("ix_events_created_ms", "events", ["created_ms"])

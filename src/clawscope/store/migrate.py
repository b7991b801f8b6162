"""Ordered schema migrations, run on start and on demand (`clawscope db upgrade`).

A new database is created from `schema.py` (the single source of truth) and stamped with the newest
revision; an existing one is upgraded through Alembic revisions in `migrations/versions/`, in order.
Revision 0001 is the baseline. Concurrent starts (several server replicas) are serialised: SQLite by
its write lock, PostgreSQL by an advisory lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from clawscope.errors import StoreError
from clawscope.store.engine import one_line, shown
from clawscope.store.schema import metadata

_LOCK_ID = 0x636C6177  # "claw": PostgreSQL advisory lock taken while migrating
# The newest revision in migrations/versions/ (a test checks it against Alembic's view). Knowing it
# here lets a start on an up-to-date database skip importing Alembic, which takes most of a second.
HEAD = "0029"


def _config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return str(head)


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the database {shown(engine)}: {one_line(exc)}") from None


def migrate(engine: Engine, *, create: bool = True) -> str:
    """Bring the database to the newest schema; return the revision it is at.

    Without `create` (read-only commands), a database without clawscope's schema is an error and
    nothing is created in it; one with an older schema is still upgraded."""
    current = current_revision(engine)
    if current == HEAD:
        return HEAD
    if current is None and not create:
        raise StoreError(
            f"{shown(engine)} is not a clawscope database (no schema version; nothing was created: "
            "run `clawscope ingest` first)"
        )
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _config()
    script = ScriptDirectory.from_config(cfg)
    head = head_revision()
    if current is not None and current not in {s.revision for s in script.walk_revisions()}:
        raise StoreError(
            f"{shown(engine)} has schema revision {current}, newer than this clawscope knows ({head}): "
            "it was written by a newer clawscope; upgrade clawscope to open it (nothing was changed)"
        )
    try:
        with engine.connect().execution_options(clawscope_write=True) as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            ctx = MigrationContext.configure(conn)
            current = ctx.get_current_revision()
            if current == head:
                return head
            if current is None:
                if inspect(conn).has_table("sessions"):
                    raise StoreError(
                        "the database has clawscope tables but no schema version; refusing to touch it"
                    )
                metadata.create_all(conn)
                ctx.stamp(script, head)
                return head
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            return head
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open or migrate the database {shown(engine)}: {one_line(exc)}") from None

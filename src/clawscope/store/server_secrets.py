"""Random secrets shared by every server process on one database (`server_secrets`): the key that signs
API tokens, the seed of the key that encrypts webhook secrets. Created on first use, read after."""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from clawscope.store import schema
from clawscope.store.engine import write_tx


def server_secret(engine: Engine, name: str, now_ms: int) -> str:
    """The secret `name`, created (at `now_ms`) by whichever process asks first."""
    t = schema.server_secrets
    with engine.connect() as conn:
        value = conn.execute(select(t.c.value).where(t.c.name == name)).scalar()
    if value is not None:
        return str(value)
    candidate = secrets.token_urlsafe(48)
    try:
        with write_tx(engine) as conn:
            conn.execute(insert(t).values(name=name, value=candidate, created_ms=now_ms))
    except IntegrityError:  # another process created it first: use theirs
        pass
    with engine.connect() as conn:
        return str(conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one())

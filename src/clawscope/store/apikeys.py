"""API keys and server secrets: created, listed masked, revoked, rotated and verified here only.

A key reads `cs_<key_id>_<secret>`. Only SHA-256 of the whole key is stored: keys carry 256 random
bits, so a slow password hash would add latency to every request and no safety. Verification finds
the row by `key_id` and compares hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from clawscope.errors import NotFoundError, UsageError
from clawscope.store import schema
from clawscope.store.engine import write_tx
from clawscope.timeutil import now_ms

SCOPES = (
    "stats:read",
    "sessions:read",
    "sessions:delete",
    "ingest:write",
    "audit:read",
    "admin",
)
DEFAULT_RATE_LIMIT = 100  # requests per minute, as in the OpenClaw API guide (seed 003)
_PREFIX = "cs_"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    label: str
    scopes: tuple[str, ...]
    rate_limit: int
    created_ms: int
    revoked_ms: int | None
    last_used_ms: int | None

    @property
    def masked(self) -> str:
        return f"{_PREFIX}{self.key_id}_{'*' * 8}"

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise UsageError(f"unknown or missing scopes {unknown or '(none)'}; known: {', '.join(SCOPES)}")
    return scopes


def _row(r: object) -> ApiKey:
    m = r._mapping  # type: ignore[attr-defined]
    return ApiKey(
        key_id=m["key_id"],
        label=m["label"],
        scopes=tuple(s for s in m["scopes"].split(",") if s),
        rate_limit=m["rate_limit"],
        created_ms=m["created_ms"],
        revoked_ms=m["revoked_ms"],
        last_used_ms=m["last_used_ms"],
    )


def create_key(
    engine: Engine,
    label: str,
    scopes: tuple[str, ...],
    rate_limit: int = DEFAULT_RATE_LIMIT,
    *,
    rotated_from: str | None = None,
) -> tuple[str, ApiKey]:
    """Create a key; return the plain key (shown once, never stored) and its record."""
    if rate_limit < 1:
        raise UsageError("--rate-limit must be at least 1 request per minute")
    key_id = secrets.token_hex(6)
    plain = f"{_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    now = now_ms()
    with write_tx(engine) as conn:
        conn.execute(
            insert(schema.api_keys).values(
                key_id=key_id,
                key_hash=_hash(plain),
                label=label,
                scopes=",".join(scopes),
                rate_limit=rate_limit,
                created_ms=now,
                rotated_from=rotated_from,
            )
        )
    return plain, ApiKey(key_id, label, scopes, rate_limit, now, None, None)


def list_keys(engine: Engine) -> list[ApiKey]:
    with engine.connect() as conn:
        rows = conn.execute(select(schema.api_keys).order_by(schema.api_keys.c.created_ms)).all()
    return [_row(r) for r in rows]


def _key_id(ref: str) -> str:
    """Accept a key id, a masked key or a whole key."""
    if ref.startswith(_PREFIX):
        return ref[len(_PREFIX) :].split("_", 1)[0]
    return ref


def get_key(engine: Engine, ref: str) -> ApiKey:
    with engine.connect() as conn:
        row = conn.execute(select(schema.api_keys).where(schema.api_keys.c.key_id == _key_id(ref))).first()
    if row is None:
        raise NotFoundError(f"no API key {ref!r}")
    return _row(row)


def revoke_key(engine: Engine, ref: str) -> ApiKey:
    key = get_key(engine, ref)
    with write_tx(engine) as conn:
        conn.execute(
            update(schema.api_keys)
            .where(schema.api_keys.c.key_id == key.key_id, schema.api_keys.c.revoked_ms.is_(None))
            .values(revoked_ms=now_ms())
        )
    return get_key(engine, key.key_id)


def rotate_key(engine: Engine, ref: str) -> tuple[str, ApiKey]:
    """Revoke a key and create its successor with the same label, scopes and limit."""
    old = get_key(engine, ref)
    if old.revoked_ms is not None:
        raise UsageError(f"API key {old.key_id} is revoked; create a new one instead")
    plain, new = create_key(engine, old.label, old.scopes, old.rate_limit, rotated_from=old.key_id)
    revoke_key(engine, old.key_id)
    return plain, new


def verify_key(engine: Engine, plain: str) -> ApiKey | None:
    """The live key `plain` names, or None (unknown, wrong secret, revoked)."""
    if not plain.startswith(_PREFIX) or plain.count("_") < 2:
        return None
    key_id = _key_id(plain)
    with engine.connect() as conn:
        row = conn.execute(select(schema.api_keys).where(schema.api_keys.c.key_id == key_id)).first()
    if row is None:
        hmac.compare_digest(_hash(plain), _hash(""))  # same work whether or not the id exists
        return None
    if not hmac.compare_digest(row._mapping["key_hash"], _hash(plain)):
        return None
    key = _row(row)
    return None if key.revoked_ms is not None else key


def server_secret(engine: Engine, name: str) -> str:
    """A random secret shared by every server process on this database, created on first use."""
    t = schema.server_secrets
    with engine.connect() as conn:
        value = conn.execute(select(t.c.value).where(t.c.name == name)).scalar()
    if value is not None:
        return str(value)
    candidate = secrets.token_urlsafe(48)
    try:
        with write_tx(engine) as conn:
            conn.execute(insert(t).values(name=name, value=candidate, created_ms=now_ms()))
    except IntegrityError:  # another process created it first: use theirs
        pass
    with engine.connect() as conn:
        return str(conn.execute(select(t.c.value).where(t.c.name == name)).scalar_one())

"""`Store.keys`: API keys and the server's own secrets: created, listed masked, revoked, rotated and
verified here only.

A key reads `cs_<key_id>_<secret>`. Only SHA-256 of the whole key is stored: keys carry 256 random
bits, so a slow password hash would add latency to every request and no safety. Verification finds
the row by `key_id` and compares hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update

from clawscope.errors import NotFoundError, UsageError
from clawscope.store import schema
from clawscope.store.engine import Part
from clawscope.store.server_secrets import server_secret

SCOPES = (
    "stats:read",
    "sessions:read",
    "sessions:delete",
    "ingest:write",
    "audit:read",
    "metrics:read",
    "alerts:read",
    "alerts:write",
    "admin",
)
KEY_USE_RESOLUTION_MS = 60_000  # `last_used_ms` is written at most once a minute per key
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


def _row(r: Any) -> ApiKey:
    m = r._mapping
    return ApiKey(
        key_id=m["key_id"],
        label=m["label"],
        scopes=tuple(s for s in m["scopes"].split(",") if s),
        rate_limit=m["rate_limit"],
        created_ms=m["created_ms"],
        revoked_ms=m["revoked_ms"],
        last_used_ms=m["last_used_ms"],
    )


def _key_id(ref: str) -> str:
    """Accept a key id, a masked key or a whole key."""
    if ref.startswith(_PREFIX):
        return ref[len(_PREFIX) :].split("_", 1)[0]
    return ref


class ApiKeys(Part):
    def __init__(self, engine: Engine, clock: Callable[[], int]) -> None:
        super().__init__(engine, clock)
        self._secrets: dict[str, str] = {}  # a server secret never changes: read once per process

    def create(
        self,
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
        now = self._clock()
        with self._write() as conn:
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

    def all(self) -> list[ApiKey]:
        with self._read() as conn:
            rows = conn.execute(select(schema.api_keys).order_by(schema.api_keys.c.created_ms)).all()
        return [_row(r) for r in rows]

    def get(self, ref: str) -> ApiKey:
        """The key a key id, masked key or whole key names (NotFoundError when none)."""
        with self._read() as conn:
            row = conn.execute(
                select(schema.api_keys).where(schema.api_keys.c.key_id == _key_id(ref))
            ).first()
        if row is None:
            raise NotFoundError(f"no API key {ref!r}")
        return _row(row)

    def revoke(self, ref: str) -> ApiKey:
        key = self.get(ref)
        with self._write() as conn:
            conn.execute(
                update(schema.api_keys)
                .where(schema.api_keys.c.key_id == key.key_id, schema.api_keys.c.revoked_ms.is_(None))
                .values(revoked_ms=self._clock())
            )
        return self.get(key.key_id)

    def rotate(self, ref: str) -> tuple[str, ApiKey]:
        """Revoke a key and create its successor with the same label, scopes and limit."""
        old = self.get(ref)
        if old.revoked_ms is not None:
            raise UsageError(f"API key {old.key_id} is revoked; create a new one instead")
        plain, new = self.create(old.label, old.scopes, old.rate_limit, rotated_from=old.key_id)
        self.revoke(old.key_id)
        return plain, new

    def verify(self, plain: str) -> ApiKey | None:
        """The live key `plain` names, or None (unknown, wrong secret, revoked)."""
        if not plain.startswith(_PREFIX) or plain.count("_") < 2:
            return None
        with self._read() as conn:
            row = conn.execute(
                select(schema.api_keys).where(schema.api_keys.c.key_id == _key_id(plain))
            ).first()
        if row is None:
            hmac.compare_digest(_hash(plain), _hash(""))  # same work whether or not the id exists
            return None
        if not hmac.compare_digest(row._mapping["key_hash"], _hash(plain)):
            return None
        key = _row(row)
        return None if key.revoked_ms is not None else key

    def touch(self, used: dict[str, int]) -> int:
        """Record last uses {key id: ms}; a key written less than a minute before is left alone."""
        t = schema.api_keys
        written = 0
        with self._write() as conn:
            for key_id, ms in sorted(used.items()):
                result = conn.execute(
                    update(t)
                    .where(
                        t.c.key_id == key_id,
                        or_(t.c.last_used_ms.is_(None), t.c.last_used_ms <= ms - KEY_USE_RESOLUTION_MS),
                    )
                    .values(last_used_ms=ms)
                )
                written += result.rowcount
        return written

    def server_secret(self, name: str) -> str:
        """A random secret shared by every server process on this database (e.g. the JWT key)."""
        if name not in self._secrets:
            self._secrets[name] = server_secret(self._engine, name, self._clock())
        return self._secrets[name]

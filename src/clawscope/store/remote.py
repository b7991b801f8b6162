"""`Store.remote`: registered OpenClaw instances and agents, their encrypted secrets, and webhook nonces.

Secrets that must be read back (an agent's webhook secret verifies every HMAC) are encrypted with
Fernet under a key kept outside the database (`secrets_key.py`: a 0600 key file beside it, or the
`secrets_key` setting), so a copied database does not carry its own key. The gateway token of an
instance is stored the same way and never returned. Nonces live in a table whose primary key makes a
replay fail in whichever process it arrives.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from clawscope.errors import NotFoundError, ReplayedNonceError, SessionOwnedError, UsageError
from clawscope.store import schema
from clawscope.store.engine import Part
from clawscope.store.secrets_key import SecretsKey

MODES = ("full", "trace_only")
_SIGNER_SQL = (
    "SELECT a.*, "
    + ", ".join(f"i.{c.name} AS i_{c.name}" for c in schema.openclaw_instances.columns)
    + " FROM openclaw_agents a JOIN openclaw_instances i ON i.instance_id = a.instance_id"
    + " WHERE a.agent_key = :key"
)
_SIGNER = text(_SIGNER_SQL + " LIMIT 2")
_SIGNER_IN = text(_SIGNER_SQL + " AND a.instance_id = :inst LIMIT 2")
_SIGNER_ID = text(_SIGNER_SQL.replace("a.agent_key = :key", "a.agent_id = :key") + " LIMIT 2")


@dataclass(frozen=True)
class Instance:
    instance_id: str
    name: str
    gateway_url: str
    has_gateway_token: bool
    otel_endpoint: str | None
    otel_enabled: bool
    ingestion_mode: str
    created_ms: int


@dataclass(frozen=True)
class AgentReg:
    agent_id: str
    instance_id: str
    agent_key: str
    agent_name: str | None
    model: str | None
    created_ms: int
    rotated_ms: int | None


@dataclass(frozen=True)
class Signer:
    """What a webhook needs to verify and file a request: the agent, its secret, its instance."""

    agent: AgentReg
    secret: bytes
    instance: Instance


class Remote(Part):
    """Registration and lookups (the Fernet key is read once per process)."""

    def __init__(self, engine: Engine, clock: Callable[[], int], secrets: SecretsKey) -> None:
        super().__init__(engine, clock)
        self._secrets = secrets
        self._fernet: Fernet | None = None

    @property
    def fernet(self) -> Fernet:
        if self._fernet is None:
            self._fernet = self._secrets.open(self._engine)
        return self._fernet

    def _seal(self, plain: str) -> str:
        return self.fernet.encrypt(plain.encode()).decode()

    # -- instances ------------------------------------------------------------------------------

    def add_instance(
        self,
        name: str,
        gateway_url: str,
        gateway_token: str | None,
        otel_endpoint: str | None = None,
        otel_enabled: bool = False,
        ingestion_mode: str = "full",
    ) -> Instance:
        if ingestion_mode not in MODES:
            raise UsageError(f"ingestion_mode must be one of {', '.join(MODES)}")
        row = {
            "instance_id": str(uuid.uuid4()),
            "name": name,
            "gateway_url": gateway_url,
            "gateway_token_enc": self._seal(gateway_token) if gateway_token else None,
            "otel_endpoint": otel_endpoint,
            "otel_enabled": otel_enabled,
            "ingestion_mode": ingestion_mode,
            "created_ms": self._clock(),
        }
        try:
            with self._write() as conn:
                conn.execute(insert(schema.openclaw_instances).values(**row))
        except IntegrityError:
            raise UsageError(f"an instance named {name!r} is already registered") from None
        return _instance(row)

    def instances(self) -> list[Instance]:
        t = schema.openclaw_instances
        with self._read() as conn:
            rows = conn.execute(select(t).order_by(t.c.created_ms, t.c.name)).all()
        return [_instance(dict(r._mapping)) for r in rows]

    def instance(self, instance_id: str) -> Instance:
        t = schema.openclaw_instances
        with self._read() as conn:
            row = conn.execute(select(t).where(t.c.instance_id == instance_id)).first()
        if row is None:
            raise NotFoundError(f"no instance {instance_id!r}")
        return _instance(dict(row._mapping))

    def gateway_token(self, instance_id: str) -> str | None:
        """The instance's gateway token, opened (None: none stored, or sealed under another key)."""
        t = schema.openclaw_instances
        with self._read() as conn:
            sealed = conn.execute(
                select(t.c.gateway_token_enc).where(t.c.instance_id == instance_id)
            ).scalar()
        plain = _open(self.fernet, sealed) if sealed else b""
        return plain.decode() or None

    # -- agents ---------------------------------------------------------------------------------

    def add_agent(
        self, instance_id: str, agent_key: str, agent_name: str | None, model: str | None
    ) -> tuple[AgentReg, str]:
        """Register an agent; return it and its webhook secret (shown once)."""
        self.instance(instance_id)
        plain = "whsec_" + secrets.token_urlsafe(32)
        row = {
            "agent_id": str(uuid.uuid4()),
            "instance_id": instance_id,
            "agent_key": agent_key,
            "agent_name": agent_name,
            "model": model,
            "secret_enc": self._seal(plain),
            "created_ms": self._clock(),
            "rotated_ms": None,
        }
        try:
            with self._write() as conn:
                conn.execute(insert(schema.openclaw_agents).values(**row))
        except IntegrityError:
            raise UsageError(f"agent {agent_key!r} is already registered on this instance") from None
        return _agent(row), plain

    def agents(self, instance_id: str | None = None) -> list[AgentReg]:
        t = schema.openclaw_agents
        stmt = select(t).order_by(t.c.created_ms, t.c.agent_key)
        if instance_id is not None:
            stmt = stmt.where(t.c.instance_id == instance_id)
        with self._read() as conn:
            return [_agent(dict(r._mapping)) for r in conn.execute(stmt)]

    def rotate_secret(self, agent_id: str) -> tuple[AgentReg, str]:
        t = schema.openclaw_agents
        plain = "whsec_" + secrets.token_urlsafe(32)
        sealed = self._seal(plain)  # (its first use creates the key: never inside our transaction)
        with self._write() as conn:
            done = conn.execute(
                update(t).where(t.c.agent_id == agent_id).values(secret_enc=sealed, rotated_ms=self._clock())
            )
            if done.rowcount != 1:
                raise NotFoundError(f"no agent {agent_id!r}")
            row = conn.execute(select(t).where(t.c.agent_id == agent_id)).one()
        return _agent(dict(row._mapping)), plain

    def signer(self, instance_id: str | None, agent_key: str) -> Signer | None:
        """The registered agent a webhook names (by instance id and agent key), or None."""
        sql = _SIGNER if instance_id is None else _SIGNER_IN
        return self._signer(sql, {"key": agent_key, "inst": instance_id})

    def signer_by_id(self, agent_id: str) -> Signer | None:
        """The registered agent with this id (event webhooks name their agent by id), or None."""
        return self._signer(_SIGNER_ID, {"key": agent_id})

    def _signer(self, sql: Any, params: dict[str, Any]) -> Signer | None:
        fernet = self.fernet  # first: its first use may re-seal the rows (migration) read below
        with self._read() as conn:
            rows = conn.execute(sql, params).all()
        if len(rows) != 1:  # unknown, or ambiguous without an instance id
            return None
        m = dict(rows[0]._mapping)
        inst = _instance({c.name: m["i_" + c.name] for c in schema.openclaw_instances.columns})
        return Signer(_agent(m), _open(fernet, m["secret_enc"]), inst)

    # -- nonces ---------------------------------------------------------------------------------

    def prune_nonces(self, older_than_ms: int) -> int:
        t = schema.webhook_nonces
        with self._write() as conn:
            return int(conn.execute(delete(t).where(t.c.seen_ms < older_than_ms)).rowcount or 0)


_CLAIM = text(
    "INSERT INTO session_owners (session_id, instance_id, claimed_ms) VALUES (:sid, :inst, :ms) "
    "ON CONFLICT (session_id) DO NOTHING"
)
_OWNER = text("SELECT instance_id FROM session_owners WHERE session_id = :sid")


def claim_sessions(conn: Connection, claims: list[tuple[str, str, int]]) -> None:
    """Inside the writer's transaction: each (session id, instance id, ms) is claimed for its instance
    if no instance holds it yet; `SessionOwnedError` (all rolls back) when another instance does."""
    for sid, instance_id, ms in claims:
        conn.execute(_CLAIM, {"sid": sid, "inst": instance_id, "ms": ms})
        if conn.execute(_OWNER, {"sid": sid}).scalar_one() != instance_id:
            raise SessionOwnedError(f"session {sid!r} was first stored through another instance")


_NONCE = text("INSERT INTO webhook_nonces (nonce, seen_ms) VALUES (:nonce, :ms)")


def record_nonces(conn: Connection, nonces: list[tuple[str, int]]) -> None:
    """Inside the caller's write transaction (the writer's, first): `ReplayedNonceError` when one was used
    before. The whole transaction then rolls back, so a nonce is spent only with the session it carried."""
    for nonce, seen_ms in nonces:
        try:
            conn.execute(_NONCE, {"nonce": nonce, "ms": seen_ms})
        except IntegrityError:
            raise ReplayedNonceError("nonce already used") from None


def _instance(m: dict[str, Any]) -> Instance:
    return Instance(
        instance_id=m["instance_id"],
        name=m["name"],
        gateway_url=m["gateway_url"],
        has_gateway_token=m["gateway_token_enc"] is not None,
        otel_endpoint=m["otel_endpoint"],
        otel_enabled=bool(m["otel_enabled"]),
        ingestion_mode=m["ingestion_mode"],
        created_ms=m["created_ms"],
    )


def _agent(m: dict[str, Any]) -> AgentReg:
    return AgentReg(
        agent_id=m["agent_id"],
        instance_id=m["instance_id"],
        agent_key=m["agent_key"],
        agent_name=m["agent_name"],
        model=m["model"],
        created_ms=m["created_ms"],
        rotated_ms=m["rotated_ms"],
    )


def _open(fernet: Fernet, token: str) -> bytes:
    try:
        return fernet.decrypt(token.encode())
    except InvalidToken:  # a row sealed under another key: unusable, never a traceback
        return b""

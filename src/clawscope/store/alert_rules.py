"""`Store.alert_rules`: alert rules, the channels each one notifies (their secrets sealed), and silences.

A rule's type-specific settings are kept as JSON (`spec`): what they mean is `clawscope.alerts`'
business, the store only keeps them. A channel's secret (a webhook signing secret, a bot token, an
SMTP password) is sealed with Fernet under the one key of stored secrets, kept outside the database
(`secrets_key.py`, shared with `remote.py`), so every server process given that key can open it; it is
never returned by a listing, only to the delivery of that channel (`channel_secret`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, delete, insert, or_, select, update

from clawscope.errors import UsageError
from clawscope.store import schema
from clawscope.store.engine import Part

_DEFAULTS_CURSOR = "alerts:defaults-installed"


@dataclass(frozen=True)
class ChannelInput:
    """A channel to store with a rule: `secret` in plain text (sealed on write), `options` as JSON."""

    kind: str
    url: str
    secret: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    channel_id: str | None = None


@dataclass(frozen=True)
class StoredChannel:
    channel_id: str
    rule_id: str
    kind: str
    url: str
    has_secret: bool
    options: dict[str, Any]


@dataclass(frozen=True)
class StoredRule:
    rule_id: str
    name: str
    rule_type: str
    spec: dict[str, Any]
    enabled: bool
    created_ms: int
    updated_ms: int
    channels: tuple[StoredChannel, ...] = ()


@dataclass(frozen=True)
class Silence:
    silence_id: str
    rule_id: str | None
    scope: str | None
    until_ms: int
    reason: str | None
    created_ms: int

    def covers(self, rule_id: str, scope: str, at_ms: int) -> bool:
        return (
            at_ms < self.until_ms
            and (self.rule_id is None or self.rule_id == rule_id)
            and (self.scope is None or self.scope == scope)
        )


class AlertRules(Part):
    """Rules, channels and silences (the Fernet key is read once per process)."""

    def __init__(self, engine: Engine, clock: Callable[[], int], key: Callable[[], Fernet]) -> None:
        super().__init__(engine, clock)
        self._open_key = key  # the key of every stored secret, kept outside the database (secrets_key.py)

    @property
    def _key(self) -> Fernet:
        return self._open_key()

    # -- rules ----------------------------------------------------------------------------------

    def put(
        self,
        rule_id: str,
        name: str,
        rule_type: str,
        spec: dict[str, Any],
        enabled: bool,
        channels: Sequence[ChannelInput] = (),
    ) -> StoredRule:
        """Create or replace a rule and its channels (in one transaction)."""
        now = self._clock()
        r, c = schema.alert_rules, schema.alert_channels
        row = {
            "name": name,
            "rule_type": rule_type,
            "spec": _json(spec),
            "enabled": enabled,
            "updated_ms": now,
        }
        sealed = [self._key.encrypt(ch.secret.encode()).decode() if ch.secret else None for ch in channels]
        # A channel without an id gets a stable one (rule, position, kind, URL), so loading the same
        # file again keeps its pending deliveries; an edit that sends no secret (secrets are never read
        # back) keeps the channel's stored one.
        ids = [ch.channel_id or _channel_id(rule_id, i, ch.kind, ch.url) for i, ch in enumerate(channels)]
        with self._write() as conn:
            kept = dict(
                conn.execute(select(c.c.channel_id, c.c.secret_enc).where(c.c.rule_id == rule_id)).all()
            )
            taken = conn.execute(
                select(c.c.channel_id).where(c.c.channel_id.in_(ids), c.c.rule_id != rule_id)
            ).first()
            if taken is not None:
                raise UsageError(f"channel id {taken[0]!r} belongs to another rule")  # 422, not a traceback
            done = conn.execute(update(r).where(r.c.rule_id == rule_id).values(**row)).rowcount
            if not done:
                conn.execute(insert(r).values(rule_id=rule_id, created_ms=now, **row))
            conn.execute(delete(c).where(c.c.rule_id == rule_id))
            for ch, channel_id, new_secret in zip(channels, ids, sealed, strict=True):
                secret_enc = new_secret if ch.secret is not None else kept.get(channel_id)
                conn.execute(
                    insert(c).values(
                        channel_id=channel_id,
                        rule_id=rule_id,
                        kind=ch.kind,
                        url=ch.url,
                        secret_enc=secret_enc,
                        options=_json(ch.options),
                        created_ms=now,
                    )
                )
        found = self.get(rule_id)
        assert found is not None
        return found

    def get(self, rule_id: str) -> StoredRule | None:
        found = self._load(rule_id)
        return found[0] if found else None

    def all(self, enabled_only: bool = False) -> list[StoredRule]:
        return self._load(None, enabled_only)

    def _load(self, rule_id: str | None, enabled_only: bool = False) -> list[StoredRule]:
        r, c = schema.alert_rules, schema.alert_channels
        q = select(r).order_by(r.c.created_ms, r.c.rule_id)
        cq = select(c).order_by(c.c.created_ms, c.c.channel_id)
        if rule_id is not None:
            q, cq = q.where(r.c.rule_id == rule_id), cq.where(c.c.rule_id == rule_id)
        if enabled_only:
            q = q.where(r.c.enabled.is_(True))
        with self._read() as conn:
            rules = conn.execute(q).all()
            chans = conn.execute(cq).all()
        by_rule: dict[str, list[StoredChannel]] = {}
        for m in (x._mapping for x in chans):
            by_rule.setdefault(m["rule_id"], []).append(
                StoredChannel(
                    m["channel_id"], m["rule_id"], m["kind"], m["url"], m["secret_enc"] is not None,
                    msgspec.json.decode(m["options"]),
                )
            )  # fmt: skip
        return [
            StoredRule(
                m["rule_id"], m["name"], m["rule_type"], msgspec.json.decode(m["spec"]), bool(m["enabled"]),
                int(m["created_ms"]), int(m["updated_ms"]), tuple(by_rule.get(m["rule_id"], ())),
            )
            for m in (x._mapping for x in rules)
        ]  # fmt: skip

    def remove(self, rule_id: str) -> bool:
        r, c = schema.alert_rules, schema.alert_channels
        with self._write() as conn:
            conn.execute(delete(c).where(c.c.rule_id == rule_id))
            return bool(conn.execute(delete(r).where(r.c.rule_id == rule_id)).rowcount)

    def set_enabled(self, rule_id: str, enabled: bool) -> bool:
        r = schema.alert_rules
        with self._write() as conn:
            stmt = update(r).where(r.c.rule_id == rule_id).values(enabled=enabled, updated_ms=self._clock())
            return bool(conn.execute(stmt).rowcount)

    def seed_defaults(self, rules: Sequence[tuple[str, str, str, dict[str, Any]]]) -> bool:
        """Insert the shipped rules (id, name, type, spec), disabled, once per database (a rule the user
        removed does not come back); True when this call inserted them."""
        cur, r = schema.cursors, schema.alert_rules
        now = self._clock()
        with self._write() as conn:
            if conn.execute(select(cur.c.key).where(cur.c.key == _DEFAULTS_CURSOR)).first() is not None:
                return False
            conn.execute(insert(cur).values(key=_DEFAULTS_CURSOR, value=str(now), updated_ms=now))
            have = {x[0] for x in conn.execute(select(r.c.rule_id))}
            for rule_id, name, rule_type, spec in rules:
                if rule_id not in have:
                    conn.execute(
                        insert(r).values(
                            rule_id=rule_id, name=name, rule_type=rule_type, spec=_json(spec), enabled=False,
                            created_ms=now, updated_ms=now,
                        )
                    )  # fmt: skip
        return True

    # -- channels -------------------------------------------------------------------------------

    def channel(self, channel_id: str) -> StoredChannel | None:
        c = schema.alert_channels
        with self._read() as conn:
            row = conn.execute(select(c).where(c.c.channel_id == channel_id)).first()
        if row is None:
            return None
        m = row._mapping
        return StoredChannel(
            m["channel_id"], m["rule_id"], m["kind"], m["url"], m["secret_enc"] is not None,
            msgspec.json.decode(m["options"]),
        )  # fmt: skip

    def channel_secret(self, channel_id: str) -> str | None:
        """The channel's secret in plain text (for its delivery only); None when it has none."""
        c = schema.alert_channels
        with self._read() as conn:
            sealed = conn.execute(select(c.c.secret_enc).where(c.c.channel_id == channel_id)).scalar()
        if sealed is None:
            return None
        try:
            return self._key.decrypt(str(sealed).encode()).decode()
        except InvalidToken:  # sealed under another database's key: unusable, never a traceback
            return None

    # -- silences -------------------------------------------------------------------------------

    def silence(
        self, rule_id: str | None, scope: str | None, until_ms: int, reason: str | None = None
    ) -> str:
        silence_id = uuid.uuid4().hex[:16]
        with self._write() as conn:
            conn.execute(
                insert(schema.alert_silences).values(
                    silence_id=silence_id, rule_id=rule_id, scope=scope, until_ms=until_ms, reason=reason,
                    created_ms=self._clock(),
                )
            )  # fmt: skip
        return silence_id

    def silences(self, active_at: int | None = None) -> list[Silence]:
        """Silences (those still active at `active_at` when given), newest first."""
        s = schema.alert_silences
        q = select(s).order_by(s.c.created_ms.desc())
        if active_at is not None:
            q = q.where(s.c.until_ms > active_at)
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [
            Silence(
                m["silence_id"],
                m["rule_id"],
                m["scope"],
                int(m["until_ms"]),
                m["reason"],
                int(m["created_ms"]),
            )
            for m in (r._mapping for r in rows)
        ]

    def unsilence(self, silence_id: str) -> bool:
        s = schema.alert_silences
        with self._write() as conn:
            return bool(conn.execute(delete(s).where(s.c.silence_id == silence_id)).rowcount)

    def unsilence_rule(self, rule_id: str) -> int:
        s = schema.alert_silences
        with self._write() as conn:
            return int(conn.execute(delete(s).where(or_(s.c.rule_id == rule_id))).rowcount)


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def _channel_id(rule_id: str, position: int, kind: str, url: str) -> str:
    return hashlib.sha256(f"{rule_id}\0{position}\0{kind}\0{url}".encode()).hexdigest()[:16]

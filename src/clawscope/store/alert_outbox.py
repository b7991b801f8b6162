"""`Store.alert_outbox`: the state that groups a firing rule and scope into one alert, the alert history,
and the outbox that delivers each alert to each channel once, whichever process or replica runs.

Why in the database: several server processes (or replicas on PostgreSQL) evaluate the same rules. A
state change (ok -> firing, firing -> ok) is one conditional UPDATE (or an INSERT that does nothing on
conflict), so exactly one process wins it and writes the alert and its outbox rows, in the same
transaction. Delivery is claimed with a lease: PostgreSQL skips rows another process holds
(`FOR UPDATE SKIP LOCKED`), SQLite serialises claimers with its write lock. A process killed between
claiming and sending leaves a lease that runs out; the row is claimed again and sent with the same
delivery id (at-least-once, the receiver drops the duplicate by that id). Every attempt is recorded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection, case, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clawscope.store import schema
from clawscope.store.engine import Part


@dataclass(frozen=True)
class AlertRecord:
    """One alert or notice as stored in the history (and sent, rendered per channel)."""

    alert_id: str
    rule_id: str
    rule_name: str
    scope: str
    kind: str  # firing | resolved | digest | test | refresh (a firing alert re-sent to Alertmanager)
    severity: str
    value: float | None
    message: str
    detail: dict[str, Any]
    at_ms: int
    digest: bool = False


@dataclass(frozen=True)
class Claim:
    """An outbox row this process holds until `lease_until_ms`: send it, then `finish` it."""

    delivery_id: str
    alert: AlertRecord
    channel_id: str
    attempt: int  # 1-based: how many times the row has been claimed


@dataclass(frozen=True)
class StateRow:
    rule_id: str
    scope: str
    firing: bool
    since_ms: int
    last_fired_ms: int | None
    alert_id: str | None
    value: float | None


def delivery_id(alert_id: str, channel_id: str) -> str:
    """The stable id of one alert to one channel (`webhook-id`, the idempotency key)."""
    return "msg_" + hashlib.sha256(f"{alert_id}\x1f{channel_id}".encode()).hexdigest()[:32]


class AlertOutbox(Part):
    # -- state: grouping, cooldown, resolve ---------------------------------------------------------

    def fire(self, alert: AlertRecord, cooldown_ms: int, channel_ids: list[str]) -> bool:
        """Rule and scope go from ok to firing (unless already firing, or fired less than `cooldown_ms`
        ago): store the alert and queue it to each channel (none while it waits for a digest). True
        when this call made the change (exactly one process does)."""
        st, now = schema.alert_states, alert.at_ms
        values = {"firing": True, "since_ms": now, "last_fired_ms": now, "alert_id": alert.alert_id}
        with self._write() as conn:
            won = conn.execute(
                update(st)
                .where(st.c.rule_id == alert.rule_id, st.c.scope == alert.scope, st.c.firing.is_(False))
                .where((st.c.last_fired_ms.is_(None)) | (st.c.last_fired_ms <= now - cooldown_ms))
                .values(value=alert.value, **values)
            ).rowcount
            if not won:
                ins = (pg_insert if self._postgres else sqlite_insert)(st).values(
                    rule_id=alert.rule_id, scope=alert.scope, value=alert.value, **values
                )
                # RETURNING, not rowcount: drivers differ in what they count for DO NOTHING
                won = int(
                    conn.execute(ins.on_conflict_do_nothing().returning(st.c.rule_id)).first() is not None
                )
            if won:
                self._store(conn, alert, [] if alert.digest else channel_ids)
            else:
                conn.execute(
                    update(st)
                    .where(st.c.rule_id == alert.rule_id, st.c.scope == alert.scope, st.c.firing.is_(True))
                    .values(value=alert.value)
                )
        return bool(won)

    def resolve(self, alert: AlertRecord, channel_ids: list[str]) -> bool:
        """Rule and scope go from firing to ok: store the notice and queue it (to `channel_ids`: none when
        the rule sends no resolve notices). True when this call made the change."""
        st = schema.alert_states
        with self._write() as conn:
            won = conn.execute(
                update(st)
                .where(st.c.rule_id == alert.rule_id, st.c.scope == alert.scope, st.c.firing.is_(True))
                .values(firing=False, since_ms=alert.at_ms, value=alert.value)
            ).rowcount
            if won:
                self._store(conn, alert, [] if alert.digest else channel_ids)
        return bool(won)

    def states(self, rule_id: str | None = None, firing_only: bool = False) -> list[StateRow]:
        st = schema.alert_states
        q = select(st).order_by(st.c.rule_id, st.c.scope)
        if rule_id is not None:
            q = q.where(st.c.rule_id == rule_id)
        if firing_only:
            q = q.where(st.c.firing.is_(True))
        with self._read() as conn:
            rows = conn.execute(q).all()
        return [
            StateRow(
                m["rule_id"], m["scope"], bool(m["firing"]), int(m["since_ms"]),
                None if m["last_fired_ms"] is None else int(m["last_fired_ms"]), m["alert_id"],
                None if m["value"] is None else float(m["value"]),
            )
            for m in (r._mapping for r in rows)
        ]  # fmt: skip

    def forget(self, rule_id: str) -> None:
        """Drop a removed rule's state (its history stays)."""
        st = schema.alert_states
        with self._write() as conn:
            conn.execute(st.delete().where(st.c.rule_id == rule_id))

    # -- history --------------------------------------------------------------------------------

    def record(self, alert: AlertRecord, channel_ids: list[str]) -> bool:
        """Store a notice that has no state (a test, a digest) and queue it; a second call with the same
        `alert_id` does nothing (False), so a digest is sent once whoever makes it."""
        h = schema.alert_history
        with self._write() as conn:
            if conn.execute(select(h.c.alert_id).where(h.c.alert_id == alert.alert_id)).first() is not None:
                return False
            self._store(conn, alert, channel_ids)
        return True

    def _store(self, conn: Connection, alert: AlertRecord, channel_ids: list[str]) -> None:
        conn.execute(
            insert(schema.alert_history).values(
                alert_id=alert.alert_id, rule_id=alert.rule_id, rule_name=alert.rule_name, scope=alert.scope,
                kind=alert.kind, severity=alert.severity, value=alert.value, message=alert.message,
                detail=msgspec.json.encode(alert.detail).decode(), digest=alert.digest, at_ms=alert.at_ms,
            )
        )  # fmt: skip
        for channel_id in channel_ids:
            conn.execute(
                insert(schema.alert_outbox).values(
                    delivery_id=delivery_id(alert.alert_id, channel_id), alert_id=alert.alert_id,
                    channel_id=channel_id, status="pending", attempts=0, next_ms=alert.at_ms,
                    created_ms=self._clock(),
                )
            )  # fmt: skip

    def history(
        self,
        limit: int = 100,
        rule_id: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        digest_only: bool = False,
        refreshes: bool = False,
    ) -> list[AlertRecord]:
        """Alerts and notices, newest first (the re-sends of a firing alert only with `refreshes`)."""
        h = schema.alert_history
        q = select(h).order_by(h.c.at_ms.desc(), h.c.alert_id).limit(limit)
        if not refreshes:
            q = q.where(h.c.kind != "refresh")
        if rule_id is not None:
            q = q.where(h.c.rule_id == rule_id)
        if since_ms is not None:
            q = q.where(h.c.at_ms >= since_ms)
        if until_ms is not None:
            q = q.where(h.c.at_ms < until_ms)
        if digest_only:
            q = q.where(h.c.digest.is_(True))
        with self._read() as conn:
            return [_record(r._mapping) for r in conn.execute(q)]

    def deliveries(self, alert_ids: list[str]) -> list[dict[str, Any]]:
        """Each outbox row of these alerts with its attempts (status, error, latency)."""
        if not alert_ids:
            return []
        o, a = schema.alert_outbox, schema.alert_attempts
        with self._read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(o).where(o.c.alert_id.in_(alert_ids)))]
            ids = [r["delivery_id"] for r in rows]
            tries = [
                dict(r._mapping)
                for r in conn.execute(select(a).where(a.c.delivery_id.in_(ids)).order_by(a.c.attempt_id))
            ]
        for r in rows:
            r["tries"] = [t for t in tries if t["delivery_id"] == r["delivery_id"]]
        return rows

    # -- outbox ---------------------------------------------------------------------------------

    def claim(self, worker: str, limit: int, lease_ms: int) -> list[Claim]:
        """Up to `limit` due rows nobody holds, held by `worker` until now + `lease_ms`."""
        now = self._clock()
        lock = " FOR UPDATE SKIP LOCKED" if self._postgres else ""
        sql = text(
            "UPDATE alert_outbox SET claimed_by = :w, lease_until_ms = :lease, attempts = attempts + 1 "
            "WHERE delivery_id IN (SELECT delivery_id FROM alert_outbox WHERE status = 'pending' "
            "AND next_ms <= :now AND (lease_until_ms IS NULL OR lease_until_ms <= :now) "
            f"ORDER BY next_ms, delivery_id LIMIT :n{lock}) "
            "RETURNING delivery_id, alert_id, channel_id, attempts"
        )
        h = schema.alert_history
        with self._write() as conn:
            got = conn.execute(sql, {"w": worker, "lease": now + lease_ms, "now": now, "n": limit}).all()
            alerts = {
                r._mapping["alert_id"]: _record(r._mapping)
                for r in conn.execute(select(h).where(h.c.alert_id.in_([g[1] for g in got])))
            }
        return [Claim(g[0], alerts[g[1]], g[2], int(g[3])) for g in got if g[1] in alerts]

    def finish(
        self,
        claim: Claim,
        worker: str,
        ok: bool,
        latency_ms: float,
        status_code: int | None = None,
        error: str | None = None,
        retry_at_ms: int | None = None,
    ) -> None:
        """Record the attempt; the row is sent (`ok`), due again at `retry_at_ms`, or failed for good.
        Only the current holder changes the row (a holder whose lease ran out records its attempt only)."""
        o, now = schema.alert_outbox, self._clock()
        if ok:
            values: dict[str, Any] = {"status": "sent", "done_ms": now}
        elif retry_at_ms is not None:
            values = {"status": "pending", "next_ms": retry_at_ms}
        else:
            values = {"status": "failed", "done_ms": now}
        with self._write() as conn:
            conn.execute(
                insert(schema.alert_attempts).values(
                    delivery_id=claim.delivery_id, attempt=claim.attempt, worker=worker, at_ms=now, ok=ok,
                    status_code=status_code, error=None if error is None else error[:500],
                    latency_ms=latency_ms,
                )
            )  # fmt: skip
            conn.execute(
                update(o)
                .where(o.c.delivery_id == claim.delivery_id, o.c.claimed_by == worker)
                .where(o.c.attempts == claim.attempt, o.c.status == "pending")
                .values(claimed_by=None, lease_until_ms=None, **values)
            )

    def metric_counts(self) -> dict[str, list[tuple[str, str, int]]]:
        """For the monitoring exports: outbox rows by channel kind (`action` for a rule's action such as
        `chat.abort`, `removed` when the channel is gone) and status, and alerts by kind and severity
        (re-sends to Alertmanager are deliveries only)."""
        o, c, h = schema.alert_outbox, schema.alert_channels, schema.alert_history
        action = case((o.c.channel_id.like("action:%"), "action"), else_="removed")  # a rule's action
        kind = func.coalesce(c.c.kind, action)
        by_channel = (
            select(kind, o.c.status, func.count())
            .select_from(o.outerjoin(c, c.c.channel_id == o.c.channel_id))
            .group_by(kind, o.c.status)
        )
        by_kind = (
            select(h.c.kind, h.c.severity, func.count())
            .where(h.c.kind != "refresh")
            .group_by(h.c.kind, h.c.severity)
        )
        with self._read() as conn:
            return {
                "deliveries": [(str(r[0]), str(r[1]), int(r[2])) for r in conn.execute(by_channel)],
                "alerts": [(str(r[0]), str(r[1]), int(r[2])) for r in conn.execute(by_kind)],
            }

    def counts(self) -> dict[str, int]:
        """Outbox rows per status."""
        with self._read() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM alert_outbox GROUP BY status")).all()
        return {str(r[0]): int(r[1]) for r in rows}


def _record(m: Any) -> AlertRecord:
    return AlertRecord(
        alert_id=m["alert_id"], rule_id=m["rule_id"], rule_name=m["rule_name"], scope=m["scope"],
        kind=m["kind"], severity=m["severity"], value=None if m["value"] is None else float(m["value"]),
        message=m["message"], detail=msgspec.json.decode(m["detail"]), at_ms=int(m["at_ms"]),
        digest=bool(m["digest"]),
    )  # fmt: skip

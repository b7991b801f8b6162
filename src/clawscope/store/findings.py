"""`Store.findings`: the detectors' findings: which sessions need detecting again, storing a pass's
findings (new, changed, resolved), and reading them back (pages with filters, one session's, counts).

A finding's id is a hash of detector + session + anchor entry (`finding_id`), so the same failure keeps
its id across recomputations and re-ingests and is never stored twice. `sync` replaces what the
detectors that ran said about a session: what they still say is updated (and re-opened if it had been
resolved), what they no longer say is marked `resolved`, never deleted. Pages are keyset pages by
(last time, id), newest first. Two processes syncing the same session at once (serve and a manual
`clawscope detect`) store each finding once: inserts are `ON CONFLICT DO NOTHING` (the one that lost
updates the row instead and does not report it new again), and a transaction that still conflicts
(a deadlock, a busy SQLite file) is retried, then raised as `WriteConflictError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError

from clawscope.errors import WriteConflictError
from clawscope.model.detection import Finding
from clawscope.store import schema
from clawscope.store.engine import Part
from clawscope.store.retention import NOT_PRUNED
from clawscope.store.sql_filters import bucket

OPEN = "open"
RESOLVED = "resolved"
_SEVERITIES = ("info", "warning", "critical")
_COLUMNS = (
    "finding_id, detector, detector_version, family, severity, confidence, session_id, agent, instance, "
    "anchor_entry_id, entry_ids, message, evidence, first_ms, last_ms, status, created_ms, updated_ms, "
    "resolved_ms"
)
_SORT = "COALESCE(last_ms, first_ms, created_ms)"
_ATTEMPTS = 5  # transactions of one sync before a conflict is raised


def finding_id(detector: str, session_id: str, anchor_entry_id: str) -> str:
    """The stable id of a finding: detector + session + anchor entry."""
    blob = "\x1f".join((detector, session_id, anchor_entry_id)).encode()
    return "f_" + hashlib.sha256(blob).hexdigest()[:24]


@dataclass(frozen=True)
class StoredFinding:
    """A finding as stored, with its id, its session's agent and instance, and its state."""

    id: str
    detector: str
    detector_version: int
    family: str
    severity: str
    confidence: float
    session_id: str
    agent: str | None
    instance: str | None
    anchor_entry_id: str
    entry_ids: list[str]
    message: str
    evidence: dict[str, Any]
    first_ms: int | None
    last_ms: int | None
    status: str
    created_ms: int
    updated_ms: int
    resolved_ms: int | None = None


@dataclass(frozen=True)
class FindingQuery:
    """What a findings list asks for; None means any. `min_severity` keeps that severity and higher ones
    (warning: warning and critical); the period keeps findings whose last time is in [since, until)."""

    family: str | None = None
    severity: str | None = None
    min_severity: str | None = None
    agent: str | None = None
    session_id: str | None = None
    instance: str | None = None
    status: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    families: tuple[str, ...] = ()  # any of these (the CLI's --family, repeatable)


@dataclass
class SyncResult:
    """What one `sync` changed: findings new (or back after being resolved), changed, resolved."""

    new: list[StoredFinding] = field(default_factory=list)
    changed: int = 0
    resolved: int = 0
    unchanged: int = 0


class Findings(Part):
    def stale(self, fingerprint: str, session_ids: Sequence[str] | None = None) -> list[str]:
        """Sessions (with entries) whose findings were computed from other data or other detector
        settings, or never; with the parents of those (a child's end changes its parent's view). Sessions
        whose text retention pruned are never stale: their findings stay as they were."""
        sql = (
            "SELECT s.session_id, p.session_id AS parent FROM sessions s "
            "LEFT JOIN detection_state d ON d.session_id = s.session_id "
            "LEFT JOIN sessions p ON p.sid = s.parent_sid "
            f"WHERE s.n_entries > 0 AND {NOT_PRUNED} AND (d.session_id IS NULL OR d.fingerprint <> :fp "
            "OR d.n_entries <> s.n_entries OR COALESCE(d.status, '') <> COALESCE(s.status, ''))"
        )
        with self._read() as conn:
            rows = conn.execute(text(sql), {"fp": fingerprint}).all()
        wanted = None if session_ids is None else set(session_ids)
        out: dict[str, None] = {}
        for sid, parent in rows:
            for s in (sid, parent):
                if s is not None and (wanted is None or s in wanted):
                    out[s] = None
        return list(out)

    def sync(
        self,
        results: Iterable[tuple[str, Sequence[Finding]]],
        detectors: Iterable[str],
        fingerprint: str | None = None,
    ) -> SyncResult:
        """Store what `detectors` found in each session (all of them: an empty list resolves every open
        finding of theirs there). With `fingerprint` (a run of every detector), remember it per session.
        Safe under concurrency (see the module docstring); `WriteConflictError` if retries did not help."""
        ran = set(detectors)
        by_session = {sid: list(found) for sid, found in results}
        if not by_session:
            return SyncResult()
        for attempt in range(_ATTEMPTS):
            try:
                return self._sync(by_session, ran, fingerprint)
            except (IntegrityError, OperationalError) as exc:
                if attempt == _ATTEMPTS - 1:
                    raise WriteConflictError(f"a concurrent findings sync conflicted: {exc}") from exc
        raise AssertionError("unreachable")

    def _sync(
        self, by_session: dict[str, list[Finding]], ran: set[str], fingerprint: str | None
    ) -> SyncResult:
        out = SyncResult()
        now = self._clock()
        insert = (
            (pg_insert if self._postgres else sqlite_insert)(schema.findings)
            .on_conflict_do_nothing(index_elements=["finding_id"])
            .returning(schema.findings.c.finding_id)
        )  # a row back: stored by us (rowcount is -1 on psycopg)
        with self._write() as conn:
            meta = _session_meta(conn, list(by_session))
            existing = _existing(conn, list(by_session))
            states: list[dict[str, Any]] = []
            for sid, found in by_session.items():
                agent, instance, n_entries, status = meta.get(sid, (None, None, 0, None))
                seen: set[str] = set()
                for f in found:
                    fid = finding_id(f.detector, sid, f.anchor_entry_id)
                    if fid in seen:
                        continue
                    seen.add(fid)
                    row = _row(fid, f, agent, instance)
                    old = existing.get(fid)
                    if old is None:
                        row.update(status=OPEN, created_ms=now, updated_ms=now, resolved_ms=None)
                        if conn.execute(insert, row).first() is not None:  # one compiled statement
                            out.new.append(_stored(row))
                            continue
                        # another process stored it a moment ago (and announced it): ours wins the content
                        del row["created_ms"]
                        conn.execute(
                            schema.findings.update().where(schema.findings.c.finding_id == fid).values(**row)
                        )
                        out.unchanged += 1
                    elif old["status"] == RESOLVED or any(old[k] != v for k, v in row.items()):
                        row.update(status=OPEN, updated_ms=now, resolved_ms=None)
                        conn.execute(
                            schema.findings.update().where(schema.findings.c.finding_id == fid).values(**row)
                        )
                        if old["status"] == RESOLVED:
                            out.new.append(_stored({**old, **row}))
                        else:
                            out.changed += 1
                    else:
                        out.unchanged += 1
                gone = [
                    fid
                    for fid, old in existing.items()
                    if old["session_id"] == sid
                    and old["detector"] in ran
                    and old["status"] == OPEN
                    and fid not in seen
                ]
                if gone:
                    stmt = (
                        schema.findings.update()
                        .where(schema.findings.c.finding_id.in_(bindparam("ids", expanding=True)))
                        .values(status=RESOLVED, updated_ms=now, resolved_ms=now)
                    )
                    conn.execute(stmt, {"ids": gone})
                    out.resolved += len(gone)
                if fingerprint is not None:
                    states.append({"sid": sid, "fp": fingerprint, "n": n_entries, "st": status, "now": now})
            if states:
                conn.execute(_REMEMBER, states)
        return out

    def get(self, fid: str) -> StoredFinding | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM findings WHERE finding_id = :id", {"id": fid})
        return _stored(rows[0]) if rows else None

    def page(self, q: FindingQuery, limit: int, after: tuple[int, str] | None = None) -> list[StoredFinding]:
        """Up to `limit` findings matching `q`, newest first, after the keyset position `after`
        (the sort value and id of the last finding of the previous page: see `position`)."""
        p: dict[str, Any] = {"limit": limit}
        parts = _where(q, p)
        if after is not None:
            parts.append(f"({_SORT} < :after_v OR ({_SORT} = :after_v AND finding_id < :after_id))")
            p["after_v"], p["after_id"] = after
        sql = (
            f"SELECT {_COLUMNS} FROM findings WHERE {' AND '.join(parts)} "
            f"ORDER BY {_SORT} DESC, finding_id DESC LIMIT :limit"
        )
        return [_stored(r) for r in self._rows(sql, p)]

    def count(self, q: FindingQuery) -> int:
        p: dict[str, Any] = {}
        with self._read() as conn:
            value = conn.execute(text(f"SELECT count(*) FROM findings WHERE {' AND '.join(_where(q, p))}"), p)
            return int(value.scalar() or 0)

    def of_session(self, session_id: str, status: str | None = None) -> list[StoredFinding]:
        """A session's findings in transcript time order."""
        p: dict[str, Any] = {"sid": session_id}
        sql = f"SELECT {_COLUMNS} FROM findings WHERE session_id = :sid"
        if status is not None:
            sql += " AND status = :status"
            p["status"] = status
        rows = self._rows(sql + " ORDER BY COALESCE(first_ms, created_ms), detector, finding_id", p)
        return [_stored(r) for r in rows]

    def of_sessions(self, session_ids: Sequence[str], q: FindingQuery) -> list[StoredFinding]:
        """The findings of these sessions matching `q`, by session order given, then time."""
        order = {sid: i for i, sid in enumerate(dict.fromkeys(session_ids))}
        out: list[StoredFinding] = []
        ids = list(order)
        with self._read() as conn:
            for i in range(0, len(ids), 500):
                p: dict[str, Any] = {}
                where = " AND ".join(_where(q, p))
                stmt = text(
                    f"SELECT {_COLUMNS} FROM findings WHERE {where} AND session_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True))
                out += [_stored(dict(r._mapping)) for r in conn.execute(stmt, {**p, "ids": ids[i : i + 500]})]
        out.sort(key=lambda f: (order[f.session_id], f.first_ms or f.created_ms, f.detector, f.id))
        return out

    def by_day(self, q: FindingQuery) -> list[dict[str, Any]]:
        """Findings per UTC day (of their last time), family and severity matching `q` (dashboard)."""
        p: dict[str, Any] = {}
        with self._read() as conn:
            day = bucket(conn, _SORT, "day")
            sql = (
                f"SELECT {day} AS day, family, severity, count(*) AS n FROM findings "
                f"WHERE {' AND '.join(_where(q, p))} GROUP BY {day}, family, severity ORDER BY 1, 2, 3"
            )
            return [dict(r._mapping) for r in conn.execute(text(sql), p)]

    def counts(self, q: FindingQuery) -> list[dict[str, Any]]:
        """Findings per family and severity matching `q` (the dashboard's tallies)."""
        p: dict[str, Any] = {}
        sql = (
            f"SELECT family, severity, count(*) AS n FROM findings WHERE {' AND '.join(_where(q, p))} "
            "GROUP BY family, severity ORDER BY family, severity"
        )
        return self._rows(sql, p)


def position(f: StoredFinding) -> tuple[int, str]:
    """The keyset position of a finding in `page`'s order."""
    return (
        f.last_ms if f.last_ms is not None else f.first_ms if f.first_ms is not None else f.created_ms,
        f.id,
    )


def _where(q: FindingQuery, p: dict[str, Any]) -> list[str]:
    parts = ["1=1"]
    for col, value in (
        ("family", q.family),
        ("agent", q.agent),
        ("session_id", q.session_id),
        ("severity", q.severity),
        ("instance", q.instance),
        ("status", q.status),
    ):
        if value is not None:
            parts.append(f"{col} = :{col}")
            p[col] = value
    if q.families:
        names = [f":fam{i}" for i in range(len(q.families))]
        parts.append(f"family IN ({', '.join(names)})")
        p.update({f"fam{i}": f for i, f in enumerate(q.families)})
    if q.min_severity is not None:
        allowed = _SEVERITIES[_SEVERITIES.index(q.min_severity) :]
        parts.append("severity IN (" + ", ".join(f":sev{i}" for i in range(len(allowed))) + ")")
        p.update({f"sev{i}": s for i, s in enumerate(allowed)})
    if q.since_ms is not None:
        parts.append(f"{_SORT} >= :since")
        p["since"] = q.since_ms
    if q.until_ms is not None:
        parts.append(f"{_SORT} < :until")
        p["until"] = q.until_ms
    return parts


def _row(fid: str, f: Finding, agent: str | None, instance: str | None) -> dict[str, Any]:
    return {
        "finding_id": fid,
        "detector": f.detector,
        "detector_version": f.detector_version,
        "family": f.family,
        "severity": str(f.severity),
        "confidence": float(f.confidence),
        "session_id": f.session_id,
        "agent": agent,
        "instance": instance,
        "anchor_entry_id": f.anchor_entry_id,
        "entry_ids": orjson.dumps(list(f.entry_ids)).decode(),
        "message": f.message,
        "evidence": orjson.dumps(f.evidence, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode(),
        "first_ms": f.first_ms,
        "last_ms": f.last_ms,
    }


def _stored(r: dict[str, Any]) -> StoredFinding:
    return StoredFinding(
        id=r["finding_id"],
        detector=r["detector"],
        detector_version=int(r["detector_version"]),
        family=r["family"],
        severity=r["severity"],
        confidence=float(r["confidence"]),
        session_id=r["session_id"],
        agent=r["agent"],
        instance=r["instance"],
        anchor_entry_id=r["anchor_entry_id"],
        entry_ids=list(orjson.loads(r["entry_ids"])),
        message=r["message"],
        evidence=dict(orjson.loads(r["evidence"])),
        first_ms=r["first_ms"],
        last_ms=r["last_ms"],
        status=r["status"],
        created_ms=int(r["created_ms"]),
        updated_ms=int(r["updated_ms"]),
        resolved_ms=r.get("resolved_ms"),
    )


def _session_meta(
    conn: Connection, ids: list[str]
) -> dict[str, tuple[str | None, str | None, int, str | None]]:
    stmt = text(
        "SELECT session_id, agent_id, instance, n_entries, status FROM sessions WHERE session_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    return {r[0]: (r[1], r[2], int(r[3]), r[4]) for r in conn.execute(stmt, {"ids": ids})}


def _existing(conn: Connection, ids: list[str]) -> dict[str, dict[str, Any]]:
    stmt = text(f"SELECT {_COLUMNS} FROM findings WHERE session_id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    return {r.finding_id: dict(r._mapping) for r in conn.execute(stmt, {"ids": ids})}


# What a session's findings were computed from (the same upsert on both backends).
_REMEMBER = text(
    "INSERT INTO detection_state (session_id, fingerprint, n_entries, status, detected_ms) "
    "VALUES (:sid, :fp, :n, :st, :now) ON CONFLICT (session_id) DO UPDATE SET "
    "fingerprint = excluded.fingerprint, n_entries = excluded.n_entries, status = excluded.status, "
    "detected_ms = excluded.detected_ms"
)

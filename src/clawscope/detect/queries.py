"""Findings as the API and the dashboard show them: filtered keyset pages with an opaque cursor, one
session's findings, and counts by family and severity (the JSON shapes over `store.findings`)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from clawscope.detect.service import finding_json
from clawscope.errors import NotFoundError, UsageError
from clawscope.store import FindingQuery, Store, StoredFinding, finding_position


def finding_detail(f: StoredFinding) -> dict[str, Any]:
    """The REST shape: the CLI's (`finding_json`) and the finding's state."""
    return {
        **finding_json(f),
        "detectorVersion": f.detector_version,
        "anchorEntryId": f.anchor_entry_id,
        "instance": f.instance,
        "status": f.status,
    }


def encode_cursor(f: StoredFinding) -> str:
    value, fid = finding_position(f)
    return base64.urlsafe_b64encode(orjson.dumps(["findings", value, fid])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The keyset position in a cursor; a forged or foreign one is a UsageError."""
    try:
        kind, value, fid = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise UsageError("invalid cursor: pass the nextCursor of a previous page") from None
    valid = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    if kind != "findings" or not valid or not isinstance(fid, str) or len(fid) > 100:
        raise UsageError("invalid cursor: it belongs to another list or was altered")
    return value, fid


def page(store: Store, query: FindingQuery, limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of findings, newest first, and the cursor of the next one (None at the end)."""
    after = decode_cursor(cursor) if cursor else None
    rows = store.findings.page(query, limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "findings": [finding_detail(f) for f in rows],
        "nextCursor": encode_cursor(rows[-1]) if more and rows else None,
    }


def of_session(store: Store, session_id: str, status: str | None = None) -> dict[str, Any]:
    """A session's findings in time order; NotFoundError when no such session is stored."""
    if store.sessions.one(session_id) is None:
        raise NotFoundError(f"no session {session_id!r}")
    found = store.findings.of_session(session_id, status)
    return {"sessionId": session_id, "findings": [finding_detail(f) for f in found]}


def counts(store: Store, query: FindingQuery) -> dict[str, Any]:
    """Findings per family and per severity, and in all (dashboard tiles)."""
    rows = store.findings.counts(query)
    by_family: dict[str, int] = {}
    by_severity: dict[str, int] = {}
    for r in rows:
        by_family[r["family"]] = by_family.get(r["family"], 0) + int(r["n"])
        by_severity[r["severity"]] = by_severity.get(r["severity"], 0) + int(r["n"])
    return {"total": sum(by_family.values()), "byFamily": by_family, "bySeverity": by_severity}


def dashboard(store: Store, query: FindingQuery, limit: int = 300) -> dict[str, Any]:
    """The Findings page: counts by family and severity, per day, and the newest findings."""
    days: dict[str, dict[str, int]] = {}
    for r in store.findings.by_day(query):
        d = days.setdefault(str(r["day"]), {})
        d[r["severity"]] = d.get(r["severity"], 0) + int(r["n"])
    return {
        **counts(store, query),
        "byDay": [{"day": k, **v, "total": sum(v.values())} for k, v in sorted(days.items())],
        "findings": [finding_detail(f) for f in store.findings.page(query, limit)],
    }


def by_entry(store: Store, session_id: str) -> dict[str, list[dict[str, Any]]]:
    """A session's findings by each entry they cite (the replay's markers)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in store.findings.of_session(session_id):
        shown = finding_detail(f)
        for entry_id in f.entry_ids:
            out.setdefault(entry_id, []).append(shown)
    return out

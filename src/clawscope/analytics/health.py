"""Ingest health for the dashboard's Health page: per followed source what clawscope tracks of it, and
the problems by code with the latest one's where and why (the page adds the live passes' status)."""

from __future__ import annotations

from typing import Any

from clawscope.analytics.core import iso
from clawscope.store import Store


def sources(store: Store, dirs: list[str]) -> list[dict[str, Any]]:
    """Each state dir followed, with the transcript files and agent databases ingested from it."""
    out = []
    for d in dirs:
        keys = [*store.cursors("jsonl:" + d), *store.cursors("sqlite:" + d)]
        out.append({"source": d, "files": sum(1 for k in keys if "#" not in k)})
    return out


def problems_by_code(store: Store, new_since_ms: int) -> dict[str, Any]:
    """Problems per code and severity (most frequent first), and how many are new since `new_since_ms`."""
    codes = [
        {
            "code": r["code"],
            "severity": r["severity"],
            "count": int(r["n"]),
            "firstSeenAt": iso(r["first_ms"]),
            "lastSeenAt": iso(r["last_ms"]),
            "source": r["source"],
            "where": f"{r['path']} ({r['location']})",
            "why": r["reason"],
        }
        for r in store.problems.by_code()
    ]
    return {
        "total": sum(c["count"] for c in codes),
        "new": store.problems.count_since(new_since_ms),
        "codes": codes,
    }

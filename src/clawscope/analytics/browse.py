"""Sessions for the API and the dashboard: filtered pages with opaque cursors, one session, its
history (entries in order, with model calls and tool calls joined) and its spawn tree."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from clawscope.analytics.core import iso, session_json
from clawscope.analytics.metrics import roll_up
from clawscope.errors import NotFoundError, UsageError
from clawscope.model import Filters, SessionQuery
from clawscope.money import usd, usd_or_none
from clawscope.store import Store

__all__ = [
    "SessionQuery",
    "count",
    "delete",
    "facets",
    "family",
    "history",
    "history_json",
    "listing",
    "page",
    "pruned_json",
    "session",
    "tree",
]


def encode_cursor(sort: str, value: float, sid: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([sort, value, sid])).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[float, int]:
    """The keyset position in a cursor; a cursor of another sort or a forged one is a UsageError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        s, value, sid = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise UsageError("invalid cursor: pass the nextCursor of a previous page") from None
    valid = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and abs(value) < 2**63  # a database integer (or a finite float)
        and isinstance(sid, int)
        and 0 <= sid < 2**63
    )
    if s != sort or not valid:
        raise UsageError("invalid cursor: it belongs to another sort or was altered")
    return float(value) if isinstance(value, float) else int(value), int(sid)


def page(store: Store, query: SessionQuery, limit: int, cursor: str | None) -> dict[str, Any]:
    after = decode_cursor(cursor, query.sort) if cursor else None
    rows = store.sessions.page(query, limit + 1, after)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(query.sort, rows[-1]["sort_value"], rows[-1]["sid"]) if more else None
    return {"sessions": [session_json(r) for r in rows], "nextCursor": next_cursor}


def listing(
    store: Store,
    f: Filters,
    search: str = "",
    model: str | None = None,
    trigger: str | None = None,
    sort: str = "last",
    desc: bool = True,
    limit: int | None = None,
    offset: int = 0,
    *,
    provider: str | None = None,
    tool: str | None = None,
) -> list[dict[str, Any]]:
    """The dashboard's Sessions list: sorted, filtered and paged by the store (see
    `Store.sessions.listing`), each row as `GET /api/v1/sessions` shows it."""
    rows = store.sessions.listing(
        f, search=search, model=model, trigger=trigger, provider=provider, tool=tool,
        sort=sort, desc=desc, limit=limit, offset=offset,
    )  # fmt: skip
    return [session_json(r) for r in rows]


def count(
    store: Store,
    f: Filters,
    search: str = "",
    model: str | None = None,
    trigger: str | None = None,
    *,
    provider: str | None = None,
    tool: str | None = None,
) -> int:
    """How many sessions `listing` holds."""
    return store.sessions.count(f, search=search, model=model, trigger=trigger, provider=provider, tool=tool)


def facets(store: Store, f: Filters) -> dict[str, list[str]]:
    """The agents, kinds, channels and triggers of the period's sessions (filter choices)."""
    return store.sessions.facets(f)


def _row(store: Store, session_id: str) -> dict[str, Any]:
    row = store.sessions.one(session_id)
    if row is None:
        raise NotFoundError(f"no session {session_id!r}")
    return row


def session(store: Store, session_id: str) -> dict[str, Any]:
    """One session; `model` is its dominant model by cost, `models` every model it called."""
    out = session_json(_row(store, session_id))
    out["models"] = [
        {
            "provider": m["provider"],
            "model": m["model"],
            "llmCalls": int(m["llm_calls"]),
            "tokensIn": int(m["tokens_in"]),
            "tokensOut": int(m["tokens_out"]),
            "cacheRead": int(m["cache_read"]),
            "cacheWrite": int(m["cache_write"]),
            "costUSD": usd(m["cost"]),
            "estimatedCostUSD": usd(m["est_cost"]),
        }
        for m in store.sessions.models(session_id)
    ]
    out["pruned"] = pruned_json(store, session_id)
    return out


def pruned_json(store: Store, session_id: str) -> dict[str, Any] | None:
    """Whether retention pruned the session's transcript text (null: it did not), and a line saying so."""
    p = store.retention.pruned(session_id)
    if p is None:
        return None
    at = iso(p.pruned_ms)
    note = f"transcript text pruned on {(at or '')[:10]} by retention ({p.retention_days} days)"
    return {"at": at, "retentionDays": p.retention_days, "entries": p.entries, "note": note}


def llm_json(r: dict[str, Any]) -> dict[str, Any]:
    started, ts = r["started_ms"], r["ts_ms"]
    return {
        "provider": r["provider"],
        "model": r["model"],
        "stopReason": r["stop_reason"],
        "isError": bool(r["is_error"]),
        "errorMessage": r["error_message"],
        "tokensIn": int(r["input"]),
        "tokensOut": int(r["output"]),
        "cacheRead": int(r["cache_read"]),
        "cacheWrite": int(r["cache_write"]),
        "costUSD": usd_or_none(r["cost_total"]),
        "estimatedCostUSD": usd_or_none(r["est_cost"]),
        "latencyMs": ts - started if started is not None and ts is not None and ts >= started else None,
    }


def tool_json(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "callId": r["call_id"],
        "name": r["name"],
        "status": r["status"],
        "at": iso(r["ts_ms"]),
        "resultAt": iso(r["result_ts_ms"]),
        "resultEntryId": r["result_entry_id"],
        "arguments": r["arguments"],
        "command": r["exec_command"],
        "exitCode": r["exit_code"],
        "durationMs": r["duration_ms"],
        "errorText": r["error_text"],
    }


def _history_parts(
    store: Store, session_id: str, limit: int, offset: int
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], bytes]]]:
    row = _row(store, session_id)
    sid = row["sid"]
    entries = store.transcripts.history(sid, limit, offset)
    ids = [e["entry_id"] for e in entries]
    llm = store.transcripts.model_calls(sid, ids) if ids else {}
    tool_list = store.transcripts.tool_calls(sid, ids) if ids else []
    by_entry: dict[str, list[dict[str, Any]]] = {}
    for t in tool_list:
        by_entry.setdefault(t["call_entry_id"], []).append(tool_json(t))
    parts = []
    for e in entries:
        call = llm.get(e["entry_id"])
        entry = {
            "pos": int(e["pos"]),
            "id": e["entry_id"],
            "type": e["type"],
            "role": e["role"],
            "parentId": e["parent_id"],
            "at": iso(e["ts_ms"]),
            "turnTrigger": e["turn_trigger"],
            "llmCall": None if call is None else llm_json(call),
            "toolCalls": by_entry.get(e["entry_id"], []),
            "textPruned": bool(e["pruned"]),
        }
        parts.append((entry, bytes(e["raw"])))
    total = int(row["n_entries"])
    meta = {
        "sessionId": session_id,
        "total": total,
        "offset": offset,
        "limit": limit,
        "nextOffset": offset + len(parts) if offset + len(parts) < total else None,
        "pruned": pruned_json(store, session_id),
    }
    return meta, parts


def _record(raw: bytes) -> dict[str, Any] | None:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def history(store: Store, session_id: str, limit: int, offset: int) -> dict[str, Any]:
    """A page of entries in transcript order; each carries its raw record, its model call (if any)
    and the tool calls it issued with their results. An entry whose text retention pruned has
    `textPruned` true and `record` null (its calls stay); `pruned` says when and why."""
    meta, parts = _history_parts(store, session_id, limit, offset)
    return {**meta, "entries": [{**entry, "record": _record(raw)} for entry, raw in parts]}


def history_json(store: Store, session_id: str, limit: int, offset: int) -> bytes:
    """`history` encoded as JSON, with each raw record spliced in as stored (it is a JSON object
    OpenClaw wrote and ingest decoded): no parse and re-encode of thousands of records."""
    meta, parts = _history_parts(store, session_id, limit, offset)
    chunks = []
    for entry, raw in parts:
        record = raw.strip()
        if not (record.startswith(b"{") and record.endswith(b"}")) or b"\n" in record:
            record = orjson.dumps(_record(raw))
        chunks.append(b'{"record":' + record + b"," + orjson.dumps(entry)[1:])
    head = orjson.dumps(meta)[:-1]
    return head + b',"entries":[' + b",".join(chunks) + b"]}"


def tree(store: Store, session_id: str) -> dict[str, Any]:
    """The session and every session it spawned, nested, each with `total` rolled up over its subtree."""
    row = _row(store, session_id)
    rows = store.sessions.subtree(row["sid"])
    return roll_up([session_json(r) for r in rows], session_id)


def family(store: Store, session_id: str, max_up: int = 64) -> list[dict[str, Any]] | None:
    """The sessions (with entries) of the spawn tree `session_id` belongs to: its root (the furthest
    ancestor stored, cycles stopped) and every descendant, root first; None without the session. Reads
    the tree only, not every session."""
    row = store.sessions.one(session_id)
    if row is None or not row["n_entries"]:
        return None
    seen = {row["session_id"]}
    for _ in range(max_up):
        parent = store.sessions.one(row["parent_session_id"]) if row["parent_session_id"] else None
        if parent is None or not parent["n_entries"] or parent["session_id"] in seen:
            break
        seen.add(parent["session_id"])
        row = parent
    rows = [r for r in store.sessions.subtree(row["sid"]) if r["n_entries"]]
    rows.sort(key=lambda r: r["sid"] != row["sid"])  # the root first
    return [session_json(r) for r in rows]


def delete(store: Store, session_id: str) -> None:
    if not store.sessions.delete(session_id):
        raise NotFoundError(f"no session {session_id!r}")

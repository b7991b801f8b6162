"""Sessions pushed by a signed webhook, decoded and written exactly as local ingest does.

The payload's wire format (seed 000's session schema extended with raw transcript parts and metadata)
is `sources/session_webhook.py`, shared with the sender. Records go through the same
`TranscriptDecoder` and `Writer` as local ingest, with the session's stored entry ids as the decoder's
seen set, so an entry counts once per (session id, entry id)
whether it came by webhook, twice by webhook, or also by local ingest. A payload with `events` only
(seed 000's shape) keeps each event as an entry and its tool calls and results as tool calls.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec

from clawscope import pricing
from clawscope.ingest.redact import redact_batch
from clawscope.model import Entry as EntryRow
from clawscope.model import SessionMeta, SourceKind, ToolCall, ToolResult, ToolStatus, TranscriptBatch
from clawscope.sources.session_webhook import (
    Event,
    Part,
    PayloadError,
    SessionPayload,
    check_text,
    read_head,
    read_payload,
    record_bytes,
)
from clawscope.sources.transcript import DecoderState, TranscriptDecoder
from clawscope.sources.wire import to_ms
from clawscope.store import Store
from clawscope.timeutil import parse_iso_ms

__all__ = ["Accepted", "PayloadError", "Prepared", "commit", "prepare", "read_head", "read_payload"]


class Accepted(msgspec.Struct):
    session_id: str
    entries: int
    new_entries: int
    llm_calls: int
    tool_calls: int


class Prepared(msgspec.Struct):
    """A decoded session, ready to be written (alone, or with others in one transaction)."""

    session_id: str
    metas: list[SessionMeta] = msgspec.field(default_factory=list)
    batches: list[TranscriptBatch] = msgspec.field(default_factory=list)
    cursors: dict[str, Any] = msgspec.field(default_factory=dict)
    entries: int = 0
    nonce: tuple[str, int] | None = None  # (key, ms): recorded in the write transaction
    owner: tuple[str, int] | None = None  # (registered instance id, ms): claimed in the write transaction

    def accepted(self) -> Accepted:
        """What the session adds (entries not stored before it was decoded)."""
        b = self.batches
        calls = sum(len(x.tool_calls) for x in b)
        return Accepted(
            self.session_id,
            self.entries,
            sum(len(x.entries) for x in b),
            sum(len(x.llm_calls) for x in b),
            calls,
        )


def prepare(
    store: Store, p: SessionPayload, instance: str, *, trace_only: bool, may_hold_nul: bool = True
) -> Prepared:
    """Decode one pushed session against what is stored (entries already stored are skipped).

    `may_hold_nul=False` (the body has no `\\u0000` escape, the only way JSON spells NUL) skips the
    search for NUL in what was decoded."""
    sid = p.session_id
    out = Prepared(sid)
    seen = store.seen_entries(sid)  # stored already: skipped
    if seen is None:
        return out  # removed by a user: never stored again, as with local ingest
    out.metas = [_meta(m, sid, instance) for m in p.metas]
    out.metas.append(_payload_meta(p, instance))
    parts = list(p.parts)
    if p.entries:
        parts.insert(0, Part(entries=p.entries, path="entries", source="webhook"))
    for part in parts:
        batch, state, meta = _decode_part(store, sid, instance, part, seen)
        out.entries += len(part.entries)
        if may_hold_nul:
            _storable(batch)
        out.metas.append(meta)
        out.batches.append(redact_batch(batch) if trace_only else batch)
        out.cursors[_cursor_key(sid, part)] = {"state": msgspec.to_builtins(state)}
    if p.events:
        batch = _event_batch(sid, p.events, seen)
        out.entries += len(p.events)
        out.batches.append(redact_batch(batch) if trace_only else batch)
    return out


def commit(
    store: Store, items: list[Prepared], *, estimate: bool = True, defer_rollups: bool = False
) -> None:
    """Write prepared sessions in one transaction; their nonces first (a replay rolls all back: the
    store raises `ReplayedNonceError`; a concurrent conflicting write, `WriteConflictError`).
    `defer_rollups`: their analytics roll-ups are marked as owed, for `store.settle()` (or any reader)."""
    writer = store.writer(pricing.estimate if estimate else None)
    writer.defer_rollups = defer_rollups
    writer.nonces = [x.nonce for x in items if x.nonce is not None]
    writer.owners = [(x.session_id, *x.owner) for x in items if x.owner is not None]
    for x in items:
        for batch in x.batches:
            writer.add_batch(batch)
        for key, value in x.cursors.items():
            writer.set_cursor(key, value)
        writer.add_meta(x.metas)
    writer.flush()
    if any(m.parent_key for x in items for m in x.metas):
        store.link_sessions()


def _storable(batch: TranscriptBatch) -> None:
    """Reject text PostgreSQL cannot store (NUL) before anything is written. Bytes fields encode as
    base64 and problems are cleaned when written, so a NUL in the JSON is one in a text column."""
    facts = (batch.entries, batch.llm_calls, batch.tool_calls, batch.tool_results, batch.changes)
    if b"\\u0000" in msgspec.json.encode(facts):
        raise PayloadError("a record holds a NUL character in an id, a type or a name")


def _cursor_key(sid: str, part: Part) -> str:
    return f"webhook:{sid}:{part.source}:{part.path}"


def _decode_part(
    store: Store, sid: str, instance: str, part: Part, seen: set[str]
) -> tuple[TranscriptBatch, DecoderState, SessionMeta]:
    state = DecoderState()
    if part.start > 0:  # a later chunk of a long transcript: continue the decoder where it stopped
        saved = store.cursor(_cursor_key(sid, part))
        if saved is not None:
            try:
                state = msgspec.json.decode(saved, type=_SavedState).state
            except msgspec.ValidationError:
                state = DecoderState()
    where = f"{instance}:{part.path or 'webhook'}"
    dec = TranscriptDecoder(sid, "webhook", where, state, seen)
    for i, raw in enumerate(part.entries):
        pos = part.positions[i] if part.positions is not None else part.start + i
        dec.feed(record_bytes(raw), pos, f"entry {pos}")
    h = dec.header
    meta = SessionMeta(
        session_id=sid,
        instance=instance,
        inferred_kind=dec.state.inferred_kind,
        cwd=h.cwd if h else None,
        header_version=h.version if h else None,
        source=SourceKind.SQLITE if part.source == "sqlite" else SourceKind.JSONL,
    )
    return dec.take(), dec.state, meta


class _SavedState(msgspec.Struct):
    state: DecoderState


def _meta(m: dict[str, Any], sid: str, instance: str) -> SessionMeta:
    try:
        meta = msgspec.convert({**m, "session_id": sid, "instance": instance}, SessionMeta)
    except msgspec.ValidationError as exc:
        raise PayloadError(f"invalid metas: {exc}", "metas") from None
    for name in ("agent_id", "key", "channel", "parent_key", "job_id"):
        check_text(getattr(meta, name), f"metas.{name}")
    return meta


def _ms(v: str | int | float | None) -> int | None:
    if v is None:
        return None
    if isinstance(v, str):
        try:
            return parse_iso_ms(v)
        except ValueError:
            raise PayloadError(f"not an ISO-8601 time: {v!r}") from None
    return to_ms(v)


def _payload_meta(p: SessionPayload, instance: str) -> SessionMeta:
    if p.metas:  # the source's own metadata (as local ingest reads it) is authoritative
        return SessionMeta(session_id=p.session_id, instance=instance)
    return SessionMeta(
        session_id=p.session_id,
        instance=instance,
        agent_id=p.agent_name,
        status=p.status,
        started_ms=_ms(p.started_at),
        ended_ms=_ms(p.finished_at),
    )


def _event_batch(sid: str, events: list[Event], seen: set[str]) -> TranscriptBatch:
    """Seed 000's events: each an entry; `tool.call`/`tool.result` pairs become tool calls."""
    batch = TranscriptBatch(sid)
    open_calls: dict[str, list[str]] = {}
    for i, ev in enumerate(events):
        raw = msgspec.json.encode(ev)
        entry_id = f"ev{i}~" + hashlib.blake2b(raw, digest_size=8).hexdigest()
        if entry_id in seen:
            continue
        ts = _ms(ev.timestamp)
        name = ev.data.get("name")
        tool = name if isinstance(name, str) and name else "unknown"
        batch.entries.append(EntryRow(sid, entry_id, i, "event", None, None, ts, raw, None))
        if ev.type == "tool.call":
            args = ev.data.get("input")
            batch.tool_calls.append(
                ToolCall(
                    sid, entry_id, entry_id, ts, tool, msgspec.json.encode(args) if args is not None else None
                )
            )
            open_calls.setdefault(tool, []).append(entry_id)
        elif ev.type == "tool.result" and open_calls.get(tool):
            status = str(ev.data.get("status") or "")
            error = status in {"error", "failed", "failure"}
            batch.tool_results.append(
                ToolResult(
                    sid,
                    open_calls[tool].pop(0),
                    entry_id,
                    ts,
                    tool,
                    ToolStatus.ERROR if error else ToolStatus.OK,
                    None,
                    status or None,
                    None,
                    None,
                    None,
                    0,
                    None,
                )
            )
    return batch

"""Backfill: receipts for tool calls already ingested from transcripts, so history becomes provable.

Input is the normalized model (`ToolCall` + its `ToolResult`, with the session key and agent id),
whatever store it comes from; the lead wires `Store.iter_tool_calls()` to `backfill()`. For a
JSONL-era state directory (or transcript exports) `items_from_state_dir()` decodes the transcripts
with the real transcript decoder.

Mapping (documented in the README): `run_id` = the run id when known, else the transcript's session
id; `input` = the call's recorded `arguments` (for Tool Search calls, the wrapper's arguments as the
model sent them); `output` = `{content, details}` of the tool-result record, when its raw record is
available; `started_at` / `completed_at` = the call's and the result's transcript timestamps;
status from the result (`isError` OR `details.status`). Calls with no result are reported as skipped,
never silently dropped. Provenance (session, agent, transcript entry ids) goes in the
`dev.clawscope/origin@0.1` extension, and payloads are hashed per the PEAC spec (`sha-256:trunc-1m`
with the original size) rather than the adapter's cut-then-hash.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from clawscope.audit.canonical import CanonicalError, loads
from clawscope.audit.errors import WarningCode
from clawscope.audit.events import ORIGIN_EXTENSION, iso_ms
from clawscope.audit.recorder import Recorder
from clawscope.model import ToolCall, ToolResult, ToolStatus
from clawscope.sources.transcript import TranscriptDecoder

MISSING = WarningCode.OPENCLAW_OPTIONAL_FIELD_MISSING


class BackfillItem(msgspec.Struct, frozen=True):
    """One ingested tool call with what is known around it."""

    call: ToolCall
    result: ToolResult | None
    session_key: str | None = None
    agent_id: str | None = None
    result_record: bytes | None = None  # raw transcript record holding the result (for the output digest)
    run_id: str | None = None


class BackfillReport(msgspec.Struct):
    """What a backfill did: receipted, already receipted before, skipped (why), refused (code)."""

    captured: int = 0
    already: int = 0
    skipped: list[tuple[str, str]] = msgspec.field(default_factory=list)
    failed: list[tuple[str, str, str]] = msgspec.field(default_factory=list)
    warnings: list[tuple[str, str, str]] = msgspec.field(default_factory=list)
    emitted: int = 0


def to_adapter_event(item: BackfillItem) -> tuple[dict[str, Any], dict[str, Any]] | str:
    """The adapter event and origin extension of an item, or the reason it cannot be receipted."""
    call, result = item.call, item.result
    if result is None or result.status == ToolStatus.PENDING:
        return "no tool result recorded"
    if call.ts_ms is None:
        return "the tool call has no timestamp"
    event: dict[str, Any] = {
        "tool_call_id": call.call_id,
        "run_id": item.run_id or call.session_id,
        "tool_name": call.name,
        "started_at": iso_ms(call.ts_ms),
    }
    if result.ts_ms is not None and result.ts_ms >= call.ts_ms:
        event["completed_at"] = iso_ms(result.ts_ms)
    event["status"] = "error" if result.status == ToolStatus.ERROR else "ok"
    if item.session_key:
        event["session_key"] = item.session_key
    if call.arguments is not None:
        try:
            event["input"] = loads(call.arguments)
        except CanonicalError:
            return "the recorded arguments are not JSON"
    output = _output(item.result_record)
    if output is not None:
        event["output"] = output
    origin: dict[str, Any] = {"source": "transcript", "session_id": call.session_id}
    optional = {
        "session_key": item.session_key,
        "agent_id": item.agent_id,
        "call_entry_id": call.entry_id,
        "result_entry_id": result.entry_id,
        "wrapper": call.wrapper,
        "details_status": result.details_status,
        "exit_code": result.exit_code,
    }
    origin |= {k: v for k, v in optional.items() if v is not None}
    return event, {ORIGIN_EXTENSION: origin}


def _output(record: bytes | None) -> dict[str, Any] | None:
    if record is None:
        return None
    try:
        doc = loads(record)
    except CanonicalError:
        return None
    msg = doc.get("message") if isinstance(doc, dict) else None
    if not isinstance(msg, dict):
        return None
    if msg.get("role") == "custom":  # openclaw.nested-tool.v1: the real tool's result is in details.result
        details = msg.get("details")
        return (
            {"result": details.get("result")} if isinstance(details, dict) and "result" in details else None
        )
    return {k: msg[k] for k in ("content", "details") if k in msg} or None


def backfill(items: Iterable[BackfillItem], recorder: Recorder) -> BackfillReport:
    """Capture every item (in the order given: transcript order) and emit its receipts."""
    report = BackfillReport()
    for item in items:
        mapped = to_adapter_event(item)
        if isinstance(mapped, str):
            report.skipped.append((item.call.call_id, mapped))
            continue
        event, extra = mapped
        for name in ("input", "output"):
            if name not in event:
                why = f"no {name} recorded: the receipt has no {name} digest"
                report.warnings.append((item.call.call_id, MISSING.value, why))
        result = recorder.capture(
            event, extra, workflow=item.session_key or f"session:{item.call.session_id}"
        )
        if result.ok:
            report.captured += 1
        elif result.code == "E_CAPTURE_DUPLICATE":
            report.already += 1
        else:
            report.failed.append((item.call.call_id, result.code or "", result.message or ""))
    report.emitted = recorder.flush().emitted
    return report


# -- transcripts on disk (JSONL era, or per-session exports) ----------------------------------


def items_from_transcript(
    path: Path, session_key: str | None = None, agent_id: str | None = None
) -> list[BackfillItem]:
    """Decode one transcript file and pair each tool call with its result."""
    session_id = path.name.removesuffix(".jsonl").removeprefix("export-")
    records = [(pos, raw) for pos, raw in enumerate(path.read_bytes().splitlines()) if raw.strip()]
    return items_from_records(session_id, records, session_key, agent_id, str(path))


def items_from_records(
    session_id: str,
    records: Iterable[tuple[int, bytes]],
    session_key: str | None = None,
    agent_id: str | None = None,
    where: str = "",
) -> list[BackfillItem]:
    """Decode one session's transcript records (in order) and pair each tool call with its result.

    Used for transcript files and for the raw entries kept in the clawscope database alike.
    """
    decoder = TranscriptDecoder(session_id, "jsonl", where)
    for pos, raw in records:
        decoder.feed(raw, pos, f"line {pos + 1}")
    batch = decoder.take()
    raw_by_entry = {e.entry_id: e.raw for e in batch.entries}
    results: dict[str, ToolResult] = {}
    for result in batch.tool_results:  # a real toolResult message wins over a nested-tool record
        if result.call_id not in results or results[result.call_id].nested:
            results[result.call_id] = result
    items = []
    for call in batch.tool_calls:
        found = results.get(call.call_id)
        record = raw_by_entry.get(found.entry_id) if found is not None else None
        items.append(BackfillItem(call, found, session_key, agent_id, record))
    return items


def items_from_state_dir(state_dir: Path) -> Iterator[BackfillItem]:
    """Every tool call of a JSONL-era OpenClaw state dir (`agents/<id>/sessions/*.jsonl`)."""
    for sessions in sorted(state_dir.glob("agents/*/sessions")):
        agent_id = sessions.parent.name
        keys: dict[str, str] = {}
        store = sessions / "sessions.json"
        if store.exists():
            doc = loads(store.read_bytes())
            for key, entry in doc.items() if isinstance(doc, dict) else []:
                if isinstance(entry, dict) and isinstance(entry.get("sessionId"), str):
                    keys.setdefault(entry["sessionId"], key)  # the first (base) key of a session
        for path in sorted(sessions.glob("*.jsonl")):
            if ".trajectory" in path.name or ".checkpoint." in path.name:
                continue
            yield from items_from_transcript(path, keys.get(path.name.removesuffix(".jsonl")), agent_id)

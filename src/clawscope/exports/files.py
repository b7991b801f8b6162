"""File exports: sessions, model calls, tool calls and findings of a period as CSV or JSON Lines, streamed
from the store page by page so memory stays flat over millions of rows.

Each kind has fixed columns, named as the REST API names the same fields (a session row is exactly
`GET /api/v1/sessions`'s; a call row is the history's `llmCall` plus where it happened; a tool row is
the history's tool call plus where it happened; a finding row is `GET /api/v1/findings`'s, open and
resolved, by its last time, filtered by agent and instance). `EXPORTERS` maps a kind to its columns
and rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from clawscope.analytics import iso, session_json
from clawscope.analytics.browse import llm_json, tool_json
from clawscope.errors import UsageError
from clawscope.exports import csvout
from clawscope.model import Filters
from clawscope.store import FindingQuery, Store, finding_position

FORMATS = ("csv", "jsonl")
KINDS = ("sessions", "calls", "tools", "findings")

Rows = Callable[[Store, Filters], Iterator[dict[str, Any]]]


@dataclass(frozen=True)
class Exporter:
    columns: tuple[str, ...]
    rows: Rows


SESSION_COLUMNS = (
    "sessionId", "key", "kind", "trigger", "agent", "instance", "channel", "parentSessionId", "parentKey",
    "spawnDepth", "jobId", "label", "status", "firstAt", "lastAt", "llmCalls", "toolCalls", "toolErrors",
    "errors", "tokensIn", "tokensOut", "cacheRead", "cacheWrite", "costUSD", "estimatedCostUSD", "entries",
    "messages", "compactions", "model", "provider", "source",
)  # fmt: skip
WHERE = ("sessionId", "agent", "instance", "channel", "kind")
CALL_COLUMNS = (
    *WHERE, "trigger", "entryId", "at", "startedAt", "provider", "model", "api", "stopReason", "isError",
    "errorMessage", "tokensIn", "tokensOut", "cacheRead", "cacheWrite", "totalTokens", "costUSD",
    "estimatedCostUSD", "priceRef", "latencyMs", "runId", "responseId",
)  # fmt: skip
TOOL_COLUMNS = (
    *WHERE, "entryId", "callId", "name", "status", "at", "resultAt", "resultEntryId", "durationMs",
    "exitCode", "errorText", "command", "arguments", "argsBytes", "outputBytes", "wrapper", "elevated",
)  # fmt: skip


def _where(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "sessionId": r["session_id"],
        "agent": r["agent_id"],
        "instance": r["instance"],
        "channel": r["channel"],
        "kind": r["kind"],
    }


def session_rows(store: Store, f: Filters) -> Iterator[dict[str, Any]]:
    for r in store.exports.sessions(f):
        yield session_json(r)


def call_rows(store: Store, f: Filters) -> Iterator[dict[str, Any]]:
    for r in store.exports.calls(f):
        yield {
            **_where(r),
            "trigger": r["trigger"],
            "entryId": r["entry_id"],
            "at": iso(r["ts_ms"]),
            "startedAt": iso(r["started_ms"]),
            **llm_json(r),
            "api": r["api"],
            "totalTokens": int(r["total_tokens"]),
            "priceRef": r["price_ref"],
            "runId": r["run_id"],
            "responseId": r["response_id"],
        }


def tool_rows(store: Store, f: Filters) -> Iterator[dict[str, Any]]:
    for r in store.exports.tools(f):
        yield {
            **_where(r),
            "entryId": r["call_entry_id"],
            **tool_json(r),
            "argsBytes": r["args_bytes"],
            "outputBytes": r["output_bytes"],
            "wrapper": r["wrapper"],
            "elevated": None if r["exec_elevated"] is None else bool(r["exec_elevated"]),
        }


FINDING_COLUMNS = (
    "id", "detector", "family", "severity", "confidence", "sessionId", "agent", "entryIds", "message",
    "evidence", "firstAt", "lastAt", "detectorVersion", "anchorEntryId", "instance", "status",
)  # fmt: skip
FINDINGS_PAGE = 1000


def finding_rows(store: Store, f: Filters) -> Iterator[dict[str, Any]]:
    from clawscope.detect.queries import finding_detail

    q = FindingQuery(agent=f.agent, instance=f.instance, since_ms=f.since_ms, until_ms=f.until_ms)
    after = None
    while True:
        page = store.findings.page(q, FINDINGS_PAGE, after)
        yield from (finding_detail(x) for x in page)
        if len(page) < FINDINGS_PAGE:
            return
        after = finding_position(page[-1])


EXPORTERS: dict[str, Exporter] = {
    "sessions": Exporter(SESSION_COLUMNS, session_rows),
    "calls": Exporter(CALL_COLUMNS, call_rows),
    "tools": Exporter(TOOL_COLUMNS, tool_rows),
    "findings": Exporter(FINDING_COLUMNS, finding_rows),
}


def exporter(kind: str) -> Exporter:
    found = EXPORTERS.get(kind)
    if found is None:
        raise UsageError(f"unknown export {kind!r}; one of {', '.join(KINDS)}")
    return found


def export(store: Store, kind: str, fmt: str, f: Filters, out: BinaryIO) -> int:
    """Write every row of `kind` in the period to `out` as `fmt`; return the number of rows."""
    ex = exporter(kind)
    rows = ex.rows(store, f)
    if fmt == "jsonl":
        n = 0
        for row in rows:
            out.write(orjson.dumps({c: row.get(c) for c in ex.columns}) + b"\n")
            n += 1
        return n
    if fmt == "csv":
        import io

        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        try:
            return csvout.write(rows, ex.columns, text)
        finally:
            text.detach()
    raise UsageError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")

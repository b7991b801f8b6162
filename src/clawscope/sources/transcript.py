"""Turns one session's transcript records, in order, into model objects.

Both storage eras feed it (a JSONL line and a `transcript_events` row are the same logical record),
and so will remote webhooks. It is stateful only in what a transcript needs across records: the
trigger of the current turn (a heartbeat poll, a cron message or a sub-agent announce inside a main
session), the last model seen, and recent tool-call ids. That state is small, serialisable, and
saved with the source's cursor so that an incremental read continues exactly where the last stopped.

This is ingest's hot loop (every line of a history passes here once), so the common path is kept
flat; the counting rules themselves live in `rules.py`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import msgspec

from clawscope.model import (
    Change,
    Compaction,
    Entry,
    ExecInfo,
    LlmCall,
    Problem,
    ProblemCode,
    SessionKind,
    Severity,
    ToolCall,
    ToolResult,
    ToolStatus,
    TranscriptBatch,
    Trigger,
)
from clawscope.sources import rules
from clawscope.sources.wire import (
    RecordError,
    WBlock,
    WDetails,
    WMessage,
    WRecord,
    decode_json,
    decode_record,
    strict_decode,
    to_ms,
)

KNOWN_ENTRY_TYPES = frozenset(
    {
        "session",
        "message",
        "model_change",
        "thinking_level_change",
        "compaction",
        "branch_summary",
        "custom",
        "custom_message",
        "label",
        "session_info",
        "reset",
        "leaf",
    }
)
NESTED_TOOL = "openclaw.nested-tool.v1"
RUN_MARKER = "openclaw:bootstrap-context"  # a JSONL-era custom record closing a run, with its runId
WRAPPERS = frozenset({"tool_call"})
EXEC_TOOLS = frozenset({"exec", "bash"})
EXCERPT = 2000
ERROR_TEXT = 1000
CALL_KEYS_KEPT = 32  # ids reused by a server are reused turn after turn: a short memory suffices
USER_TEXT = 4000


class DecoderState(msgspec.Struct, omit_defaults=True):
    """What the decoder carries from one record to the next; saved with the source cursor."""

    turn_trigger: Trigger | None = None
    turn_model_calls: int = 0  # model calls (by a model API, not `cli`) since the turn's user message
    header_seen: bool = False
    first_user_seen: bool = False
    inferred_kind: SessionKind | None = None  # what the first user message says the session is
    model: str | None = None  # "provider/model" last recorded: a snapshot repeating it is not a change
    thinking: str | None = None
    # Recent tool-call ids and the key each got: an id seen again (servers that number calls
    # `call_0`, `call_1` every turn) is a new call, keyed `<id>@<entry id>`, and its result must
    # join to it, also when the result is read in a later ingest run.
    call_keys: dict[str, str] = msgspec.field(default_factory=dict)


class TranscriptDecoder:
    """Decodes one session's records into a `TranscriptBatch`. Feed records in transcript order."""

    def __init__(
        self,
        session_id: str,
        source: str,
        path: str,
        state: DecoderState | None = None,
        seen: set[str] | None = None,
    ) -> None:
        self.session_id = session_id
        self.source = source
        self.path = path
        self.state = state or DecoderState()
        self.seen = seen if seen is not None else set()  # entry ids already stored: skip them
        self.header: WRecord | None = None
        self.batch = TranscriptBatch(session_id)
        # Where the current run's model calls and entries start in the batch: a JSONL-era run's id
        # comes after its messages (see `_run_marker`).
        self._run_calls = 0
        self._run_entries = 0

    def take(self) -> TranscriptBatch:
        """Return what was decoded since the last call and start a new batch."""
        batch, self.batch = self.batch, TranscriptBatch(self.session_id)
        self._run_calls = self._run_entries = 0
        return batch

    def problem(
        self, where: str, code: ProblemCode, reason: str, severity: Severity, raw: bytes = b""
    ) -> None:
        excerpt = raw[:EXCERPT].decode("utf-8", "replace")
        problems = self.batch.problems
        for i in range(len(problems) - 1, max(-1, len(problems) - 5), -1):
            p = problems[i]  # the store keeps one problem per place and code: say everything in it
            if p.location == where and p.code == code and p.path == self.path:
                problems[i] = msgspec.structs.replace(p, reason=f"{p.reason}; {reason}")
                return
        problems.append(Problem(self.source, self.path, where, code, reason, severity, excerpt))

    # -- records --------------------------------------------------------------------------------

    def feed(self, raw: bytes, pos: int, where: str) -> str | None:
        """Decode one record; return its entry id, or None when it could not be used at all."""
        rec = strict_decode(raw)
        if rec is None or (not raw.isascii() and not _valid_utf8(raw)):
            # (texts are kept raw, so msgspec has not checked their UTF-8)
            return self._feed_slow(raw, pos, where)
        return self.record(rec, raw, pos, where)

    def _feed_slow(self, raw: bytes, pos: int, where: str) -> str | None:
        try:
            rec, dropped = decode_record(raw)
        except RecordError as exc:
            if exc.code == "invalid_utf8":
                self.problem(
                    where, ProblemCode.INVALID_UTF8, "invalid UTF-8 replaced by U+FFFD", Severity.WARNING, raw
                )
                return self.feed(raw.decode("utf-8", "replace").encode(), pos, where)
            tail = _glued_record(raw) if exc.code == "invalid_json" else None
            if tail is not None:
                # A cut-off record with a complete one appended after it (a writer crashed mid-line).
                cut = raw[: len(raw) - len(tail)]
                reason = "cut-off record before a complete one; the cut-off part is lost"
                self.problem(where, ProblemCode.TRUNCATED_LINE, reason, Severity.ERROR, cut)
                return self.feed(tail, pos, where)
            self.problem(where, ProblemCode(exc.code), exc.reason, Severity.ERROR, raw)
            return None
        absurd = [p for p in dropped if p.endswith("(number out of range)")]
        wrong = [p for p in dropped if p not in absurd]
        if absurd:
            self.problem(
                where, ProblemCode.ABSURD_NUMBER, f"{', '.join(absurd)}; ignored", Severity.WARNING, raw
            )
        if wrong:
            reason = f"wrong type at {', '.join(wrong)}; ignored"
            self.problem(where, ProblemCode.WRONG_TYPE, reason, Severity.WARNING, raw)
        return self.record(rec, raw, pos, where)

    def record(self, rec: WRecord, raw: bytes, pos: int, where: str) -> str:
        etype = rec.type or "unknown"
        if rec.type is None:
            self.problem(where, ProblemCode.MISSING_FIELD, "record has no type", Severity.WARNING, raw)
        entry_id = rec.id or ("~" + hashlib.blake2b(raw, digest_size=10).hexdigest())
        msg = rec.message
        role = msg.role if msg is not None else None
        if entry_id in self.seen:  # a copy (checkpoint, backup, archive, doctor import): counted once
            self._follow_turn(role, msg)
            return entry_id
        self.seen.add(entry_id)
        stamp = rec.timestamp
        ts = int(stamp.timestamp() * 1000) if type(stamp) is datetime else to_ms(stamp)
        trigger = None
        if msg is not None:
            if ts is None and msg.timestamp is not None:
                ts = to_ms(msg.timestamp)
            if role == "assistant":
                trigger = self._assistant(msg, entry_id, ts, where, raw)
            elif role == "toolResult":
                self._tool_result(msg, entry_id, ts)
            elif role == "user":
                self._user(msg)
            elif role == "custom" and msg.customType == NESTED_TOOL and msg.details is not None:
                self._nested_tool(msg.details, entry_id, ts)
        elif etype == "message":
            self.problem(
                where, ProblemCode.MISSING_FIELD, "message entry without message", Severity.WARNING, raw
            )
        elif etype == "session":
            self.header = rec
            self.state.header_seen = True
        elif etype == "compaction":
            self.batch.compactions.append(
                Compaction(
                    self.session_id,
                    entry_id,
                    ts,
                    rules.to_int(rec.tokensBefore),
                    rec.firstKeptEntryId,
                    rec.fromHook,
                    len(rec.summary) - 2 if rec.summary else 0,
                )
            )
        elif etype == "model_change":
            self._model(entry_id, ts, "model", rec.provider, rec.modelId, None)
        elif etype == "thinking_level_change":
            if rec.thinkingLevel != self.state.thinking:
                self.state.thinking = rec.thinkingLevel
                self.batch.changes.append(
                    Change(self.session_id, entry_id, ts, "thinking", thinking_level=rec.thinkingLevel)
                )
        elif etype == "custom" and rec.customType == "model-snapshot":
            data = decode_json(rec.data) if rec.data else None
            if isinstance(data, dict):
                get = data.get
                self._model(
                    entry_id,
                    ts,
                    "snapshot",
                    rules.as_str(get("provider")),
                    rules.as_str(get("modelId")),
                    rules.as_str(get("modelApi")),
                )
        elif etype == "custom" and rec.customType and rec.customType.startswith(RUN_MARKER):
            self._run_marker(rec)
        elif etype not in KNOWN_ENTRY_TYPES:
            reason = f"unknown entry type {etype!r}; kept as is"
            self.problem(where, ProblemCode.UNKNOWN_ENTRY_TYPE, reason, Severity.INFO, raw)
        if msg is not None and trigger is None:
            trigger = self.state.turn_trigger
        self.batch.entries.append(
            Entry(self.session_id, entry_id, pos, etype, role, rec.parentId, ts, raw, trigger)
        )
        return entry_id

    def _run_marker(self, rec: WRecord) -> None:
        """The end of a run in the JSONL era (2026.7): `openclaw:bootstrap-context:*` carries the run
        id *after* the run's messages, whose own records have none. A sub-agent's completion announced
        to its parent (`announce:v1:…`, no user message) is then a `subagent` turn, as the SQLite era
        marks it on each message; the run's calls and messages still in this batch are re-marked.
        (A run split across two ingest passes keeps the trigger its first part was stored with.)"""
        data = decode_json(bytes(rec.data)) if rec.data else None
        run_id = data.get("runId") if isinstance(data, dict) else None
        trigger = rules.run_trigger(run_id if isinstance(run_id, str) else None)
        batch = self.batch
        if trigger is not None:
            replace = msgspec.structs.replace
            calls, entries = batch.llm_calls, batch.entries
            for i in range(self._run_calls, len(calls)):
                calls[i] = replace(calls[i], turn_trigger=trigger)
            for i in range(self._run_entries, len(entries)):
                if entries[i].role is not None:
                    entries[i] = replace(entries[i], turn_trigger=trigger)
        self._run_calls, self._run_entries = len(batch.llm_calls), len(batch.entries) + 1

    def _model(
        self,
        entry_id: str,
        ts: int | None,
        kind: str,
        provider: str | None,
        model: str | None,
        api: str | None,
    ) -> None:
        """Record a model change; a snapshot repeating the current model is an entry only."""
        sig = f"{provider}/{model}"
        if kind == "snapshot" and sig == self.state.model:
            return
        self.state.model = sig
        self.batch.changes.append(
            Change(self.session_id, entry_id, ts, kind, provider=provider, model=model, api=api)
        )

    # -- messages -------------------------------------------------------------------------------

    def _user(self, msg: WMessage) -> None:
        body = rules.text_of(msg.content, USER_TEXT)
        state = self.state
        state.turn_trigger = rules.classify_turn(body)
        state.turn_model_calls = 0
        # a run of the user's starts after its message (appended once this returns)
        self._run_calls, self._run_entries = len(self.batch.llm_calls), len(self.batch.entries) + 1
        if not state.first_user_seen:
            state.first_user_seen = True
            state.inferred_kind = rules.infer_kind(body, state.turn_trigger)

    def _assistant(
        self, msg: WMessage, entry_id: str, ts: int | None, where: str, raw: bytes
    ) -> Trigger | None:
        """Record a model call; return the turn's trigger when OpenClaw marked it in the run id."""
        oc = msg.openclaw
        run_id = oc.runId if oc is not None else None
        run_trigger = rules.run_trigger(run_id)
        if not rules.is_model_call(msg) or rules.is_gap_fill(msg, self.state.turn_model_calls):
            return run_trigger
        self._count_turn_call(msg)
        u = msg.usage
        if u is None:
            usage, cost = None, None
            self.problem(
                where, ProblemCode.MISSING_USAGE, "assistant message without usage", Severity.WARNING, raw
            )
        else:
            bad: list[str] = []
            usage, cost = rules.usage_of(u, bad)
            if bad:  # one problem naming every rejected field (a record has one per code and place)
                s = "s" if len(bad) > 1 else ""
                reason = f"absurd usage value{s} {', '.join(bad)}; ignored"
                self.problem(where, ProblemCode.ABSURD_NUMBER, reason, Severity.WARNING, raw)
        self.batch.llm_calls.append(
            LlmCall(
                self.session_id,
                entry_id,
                ts,
                to_ms(msg.timestamp),
                msg.provider,
                msg.model,
                msg.api,
                msg.stopReason,
                msg.errorMessage,
                usage,
                cost,
                msg.responseId,
                run_id,
                run_trigger or self.state.turn_trigger,
            )
        )
        content = msg.content
        if content and type(content) is list:
            for index, block in enumerate(content):
                if block.type in {"toolCall", "tool_use"}:
                    self._tool_call(block, index, entry_id, ts)
        return run_trigger

    def _follow_turn(self, role: str | None, msg: WMessage | None) -> None:
        """Keep the turn state right across an entry stored before (its copy is not decoded)."""
        if msg is None:
            return
        if role == "user":
            self.state.turn_trigger = rules.classify_turn(rules.text_of(msg.content, USER_TEXT))
            self.state.turn_model_calls = 0
        elif role == "assistant":
            self._count_turn_call(msg)

    def _count_turn_call(self, msg: WMessage) -> None:
        if msg.api != "cli" and rules.is_model_call(msg):
            self.state.turn_model_calls += 1

    def _call_key(self, call_id: str, entry_id: str, index: int) -> str:
        keys = self.state.call_keys
        key = f"{call_id}@{entry_id}" if call_id in keys else call_id
        prev, here = keys.get(call_id), f"{call_id}@{entry_id}"
        if prev is not None and (prev == here or prev.startswith(here + "#")):
            key = f"{here}#{index}"  # the id twice in one message: each block stays a call of its own
        keys.pop(call_id, None)
        keys[call_id] = key
        if len(keys) > CALL_KEYS_KEPT:
            del keys[next(iter(keys))]
        return key

    def _tool_call(self, block: WBlock, index: int, entry_id: str, ts: int | None) -> None:
        call_id = self._call_key(block.id, entry_id, index) if block.id else f"{entry_id}#{index}"
        name = block.name or "unknown"
        raw_args = bytes(block.arguments) if block.arguments else None
        wrapper = None
        args = None
        if name in WRAPPERS:
            args = decode_json(raw_args)
            inner = args.get("id") if isinstance(args, dict) else None
            if isinstance(inner, str) and inner:
                wrapper, name = name, inner.rsplit(":", 1)[-1]
                inner_args = args.get("args")
                args = inner_args if isinstance(inner_args, dict) else args
        exec_info = None
        if name in EXEC_TOOLS:
            if args is None:
                args = decode_json(raw_args)
            if isinstance(args, dict):
                elevated = args.get("elevated")
                exec_info = ExecInfo(
                    command=rules.as_str(args.get("command")),
                    elevated=elevated if isinstance(elevated, bool) else None,
                    host=rules.as_str(args.get("host")),
                    security=rules.as_str(args.get("security")),
                    ask=rules.as_str(args.get("ask")),
                )
        self.batch.tool_calls.append(
            ToolCall(self.session_id, call_id, entry_id, ts, name, raw_args, wrapper, exec_info)
        )

    def _tool_result(self, msg: WMessage, entry_id: str, ts: int | None) -> None:
        if not msg.toolCallId:
            return
        call_id = self.state.call_keys.get(msg.toolCallId, msg.toolCallId)
        d = msg.details or _NO_DETAILS
        error = msg.isError is True or rules.is_error_status(d.status)
        self.batch.tool_results.append(
            ToolResult(
                self.session_id,
                call_id,
                entry_id,
                ts,
                msg.toolName,
                ToolStatus.ERROR if error else ToolStatus.OK,
                msg.isError,
                None if d.status is None else str(d.status),
                d.exitCode,
                rules.to_int(d.durationMs),
                _error_text(d, msg.content) if error else None,
                rules.text_bytes(msg.content),
                rules.wrapped_tool_name(msg.content) if msg.toolName in WRAPPERS else None,
            )
        )

    def _nested_tool(self, d: WDetails, entry_id: str, ts: int | None) -> None:
        if not d.parentToolCallId:
            return
        call_id = self.state.call_keys.get(d.parentToolCallId, d.parentToolCallId)
        result = decode_json(d.result) if d.result else None
        rdetails = result.get("details") if isinstance(result, dict) else None
        rstatus = rdetails.get("status") if isinstance(rdetails, dict) else None
        error = (
            d.isError is True
            or (isinstance(result, dict) and result.get("isError") is True)
            or rules.is_error_status(rstatus)
        )
        self.batch.tool_results.append(
            ToolResult(
                self.session_id,
                call_id,
                entry_id,
                ts,
                d.toolName,
                ToolStatus.ERROR if error else ToolStatus.OK,
                d.isError,
                rules.as_str(rstatus),
                None,
                None,
                None,
                0,
                d.toolName,
                nested=True,
            )
        )


_NO_DETAILS = WDetails()


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _error_text(d: WDetails, content: list[WBlock] | str | None) -> str | None:
    err = decode_json(d.error) if d.error else None
    if isinstance(err, str) and err:
        return err[:ERROR_TEXT]
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return str(err["message"])[:ERROR_TEXT]
    return rules.text_of(content, ERROR_TEXT) or None


def _glued_record(raw: bytes) -> bytes | None:
    """The complete record at the end of a line that starts with a cut-off one, if there is one.

    Only a whole entry (known type, with an id) counts: a fragment such as a content block
    (`{"type":"text",…}`) of the cut-off record must never become an entry of its own.
    """
    start = raw.rfind(b'{"type":')
    while start > 0:
        rec = strict_decode(raw[start:])
        if rec is not None and rec.id and rec.type in KNOWN_ENTRY_TYPES:
            return raw[start:]
        start = raw.rfind(b'{"type":', 0, start)
    return None


# Re-exported for tests and callers that classify text directly.
classify_turn = rules.classify_turn
infer_kind = rules.infer_kind

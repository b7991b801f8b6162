"""Model objects as database rows: the column lists of the bulk statements and the tuples that fill them.

Tuples rather than dicts: the driver binds them positionally, which is what makes bulk ingest fast.
Each `*_COLS` list and its row function must stay in the same order.
"""

from __future__ import annotations

from typing import Any

from clawscope.model import (
    Change,
    Compaction,
    LlmCall,
    Problem,
    SessionKind,
    SessionMeta,
    ToolCall,
    ToolResult,
)
from clawscope.money import to_nano, to_nano_or_none

UNKNOWN_INSTANCE = "unknown"


def cols(names: str) -> tuple[str, ...]:
    """Column names, written as one string to keep long lists readable."""
    return tuple(names.split())


ARGS_PREVIEW = 4096  # bytes of tool arguments kept in tool_calls; the whole is in the raw entry

META_COLS = cols(
    "session_id instance agent_id key key_kind key_rank channel chat_type parent_key spawn_depth "
    "job_id label display_name status started_ms ended_ms updated_ms model_provider model "
    "elevated_level created_via subagent_role source inferred_kind cwd header_version"
)
# Facts that never change once known keep their first value; everything else takes the newest.
META_FILL = ("instance", "inferred_kind", "cwd", "header_version")
# Two keys can name one transcript (a cron job's base key and its run key): the more specific wins.
META_RANKED = ("key_rank", ("key", "key_kind", "job_id"))

ENTRY_COLS = cols("sid entry_id pos type role parent_id ts_ms block_id block_off block_len turn_trigger")
LLM_COLS = cols(
    "sid entry_id ts_ms started_ms provider model api stop_reason is_error error_message "
    "has_usage input output cache_read cache_write total_tokens cost_input cost_output "
    "cost_cache_read cost_cache_write cost_total est_cost price_ref response_id run_id "
    "turn_trigger"
)
CALL_COLS = cols(
    "sid call_id call_entry_id ts_ms call_name wrapper arguments args_bytes exec_command "
    "exec_elevated exec_host exec_security exec_ask"
)
RESULT_COLS = cols(
    "sid call_id result_entry_id result_ts_ms result_tool_name result_real_name result_error "
    "is_error_flag details_status exit_code duration_ms error_text output_bytes"
)
NESTED_COLS = ("sid", "call_id", "nested_entry_id", "nested_name", "nested_error")
COMPACTION_COLS = cols("sid entry_id ts_ms tokens_before first_kept_entry_id from_hook summary_chars")
CHANGE_COLS = ("sid", "entry_id", "ts_ms", "kind", "provider", "model", "api", "thinking_level")
PROBLEM_COLS = ("source", "path", "location", "code", "severity", "reason", "excerpt", "first_seen_ms")


def meta_row(m: SessionMeta) -> tuple[Any, ...]:
    return (
        m.session_id,
        m.instance,
        m.agent_id,
        m.key,
        str(m.kind) if m.kind else None,
        key_rank(m),
        m.channel,
        m.chat_type,
        m.parent_key,
        m.spawn_depth,
        m.job_id,
        m.label,
        m.display_name,
        m.status,
        m.started_ms,
        m.ended_ms,
        m.updated_ms,
        m.model_provider,
        m.model,
        m.elevated_level,
        m.created_via,
        m.subagent_role,
        str(m.source) if m.source else None,
        str(m.inferred_kind) if m.inferred_kind else None,
        m.cwd,
        m.header_version,
    )


def key_rank(m: SessionMeta) -> int:
    """How specific a session key is: 0 none, 1 a key, 2 a run or sub-agent key."""
    if m.key is None:
        return 0
    return 2 if m.kind in (SessionKind.CRON_RUN, SessionKind.SUBAGENT) else 1


def llm_row(sid: int, c: LlmCall, est: float | None, ref: str | None) -> tuple[Any, ...]:
    u, k = c.usage, c.cost
    if u is None:
        tokens: tuple[Any, ...] = (False, 0, 0, 0, 0, 0)
    else:
        tokens = (True, u.input, u.output, u.cache_read, u.cache_write, u.total)
    # money as whole nano-dollars (clawscope.money): every sum of them is exact
    costs = (
        (None,) * 5
        if k is None
        else tuple(map(to_nano, (k.input, k.output, k.cache_read, k.cache_write, k.total)))
    )
    return (
        sid,
        c.entry_id,
        c.ts_ms,
        c.started_ms,
        c.provider,
        c.model,
        c.api,
        c.stop_reason,
        c.stop_reason == "error",
        c.error_message,
        *tokens,
        *costs,
        to_nano_or_none(est),
        ref,
        c.response_id,
        c.run_id,
        c.turn_trigger,
    )


def call_row(sid: int, t: ToolCall) -> tuple[Any, ...]:
    x = t.exec
    raw = t.arguments
    size = len(raw) if raw is not None else None
    args = raw[:ARGS_PREVIEW].decode("utf-8", "ignore") if raw is not None else None
    if x is None:
        return (
            sid,
            t.call_id,
            t.entry_id,
            t.ts_ms,
            t.name,
            t.wrapper,
            args,
            size,
            None,
            None,
            None,
            None,
            None,
        )
    exec_cols = (x.command, x.elevated, x.host, x.security, x.ask)
    return (sid, t.call_id, t.entry_id, t.ts_ms, t.name, t.wrapper, args, size, *exec_cols)


def result_row(sid: int, r: ToolResult) -> tuple[Any, ...]:
    return (
        sid,
        r.call_id,
        r.entry_id,
        r.ts_ms,
        r.tool_name,
        r.real_name,
        r.status == "error",
        r.is_error_flag,
        r.details_status,
        r.exit_code,
        r.duration_ms,
        r.error_text,
        r.output_bytes,
    )


def nested_row(sid: int, r: ToolResult) -> tuple[Any, ...]:
    return (sid, r.call_id, r.entry_id, r.real_name, r.status == "error")


def compaction_row(sid: int, c: Compaction) -> tuple[Any, ...]:
    return (sid, c.entry_id, c.ts_ms, c.tokens_before, c.first_kept_entry_id, c.from_hook, c.summary_chars)


def change_row(sid: int, c: Change) -> tuple[Any, ...]:
    return (sid, c.entry_id, c.ts_ms, c.kind, c.provider, c.model, c.api, c.thinking_level)


def problem_row(p: Problem, now_ms: int) -> tuple[Any, ...]:
    return (
        p.source,
        p.path,
        p.location,
        str(p.code),
        str(p.severity),
        p.reason,
        p.excerpt.replace("\x00", "\ufffd"),
        now_ms,
    )


def merge_metas(metas: list[SessionMeta]) -> list[SessionMeta]:
    """Fold a unit's metadata into one per session, by the rules the upsert applies (so that each
    session is written once per unit): newest non-NULL wins, `META_FILL` columns keep their first
    value, and the key columns change only for a key at least as specific."""
    merged: dict[str, SessionMeta] = {}
    for m in metas:
        old = merged.get(m.session_id)
        merged[m.session_id] = m if old is None else _merge(old, m)
    return list(merged.values())


_FILL = frozenset({"instance", "inferred_kind", "cwd", "header_version"})
_RANKED = frozenset({"key", "kind", "job_id", "trigger"})


def _merge(old: SessionMeta, new: SessionMeta) -> SessionMeta:
    take_key = key_rank(new) >= key_rank(old)
    changes: dict[str, Any] = {}
    for name in SessionMeta.__struct_fields__:
        a, b = getattr(old, name), getattr(new, name)
        if name in _FILL:
            value = a if a is not None else b
        elif name in _RANKED:
            value = (b if b is not None else a) if take_key else a
        else:
            value = b if b is not None else a
        changes[name] = value
    return SessionMeta(**changes)

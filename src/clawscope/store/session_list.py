"""The SQL of the dashboard's Sessions list (`Store.sessions.listing`, `.count`, `.facets`): filters,
a text search, sorting on any column and offset pages, all in the database so that a page reads a
page of rows whatever the number of sessions.

The order is the one a stable sort of the sessions, most recent first, by the chosen column gives:
rows without a value last in either direction, ties most recent first (then the newest sid). Text
columns compare by code point on both backends (SQLite's BINARY, PostgreSQL's "C" collation), as
Python compares strings; the search matches a substring ignoring ASCII case, the same on both.
"""

from __future__ import annotations

from typing import Any

from clawscope.model import Filters
from clawscope.store.sql_filters import session_where

# A session's model as `SESSION_COLUMNS` shows it (its dominant one, see sessions.py).
DOMINANT = """(SELECT {col} FROM rollup_calls r WHERE r.sid = s.sid GROUP BY r.provider, r.model
  ORDER BY SUM(r.cost + r.est_cost) DESC, SUM(r.llm_calls) DESC, r.provider, r.model LIMIT 1)"""
MODEL = f"CASE WHEN s.n_llm_calls > 0 THEN {DOMINANT.format(col='r.model')} ELSE s.model END"
LABEL = "COALESCE(NULLIF(s.label, ''), s.display_name)"  # as session_json's `label`

# sort name (the dashboard's `?sort=`) -> (SQL value, is it text?)
LIST_SORTS: dict[str, tuple[str, bool]] = {
    "last": ("s.last_ms", False),
    "first": ("s.first_ms", False),
    "cost": ("s.cost_usd", False),
    "tokens": ("s.total_tokens", False),
    "tools": ("s.n_tool_calls", False),
    "errors": ("s.n_errors", False),
    "calls": ("s.n_llm_calls", False),
    "duration": (
        "CASE WHEN s.first_ms IS NULL OR s.last_ms IS NULL THEN 0 ELSE s.last_ms - s.first_ms END",
        False,
    ),
    "agent": ("s.agent_id", True),
    "kind": ("s.kind", True),
    "channel": ("s.channel", True),
    "model": (MODEL, True),
    "trigger": ("s.trigger", True),
}
SEARCHED = ("s.session_id", "s.key", LABEL, "s.agent_id", "s.channel", MODEL, "s.kind")
FACETS = {"agent": "s.agent_id", "kind": "s.kind", "channel": "s.channel", "trigger": "s.trigger"}
_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _code_points(sql: str, postgres: bool) -> str:
    """Text compared by code point (UTF-8 bytes) on either backend."""
    return f'({sql}) COLLATE "C"' if postgres else f"({sql}) COLLATE BINARY"


def where(
    f: Filters,
    search: str,
    model: str | None,
    trigger: str | None,
    params: dict[str, Any],
    postgres: bool,
    provider: str | None = None,
    tool: str | None = None,
) -> str:
    """Sessions active in the period with these attributes; `model`: that called it (as `GET
    /api/v1/sessions?model=`), `provider`: that called one of its models, `tool`: that called it in the
    period; `search`: one of the SEARCHED columns contains it (ASCII case ignored)."""
    parts = [session_where(f, params)]
    if provider:
        parts.append("EXISTS (SELECT 1 FROM rollup_calls r WHERE r.sid = s.sid AND r.provider = :provider)")
        params["provider"] = provider
    if tool:
        cond = ["t.sid = s.sid", "t.name = :tool", "t.call_entry_id IS NOT NULL"]
        cond += ["t.ts_ms >= :since"] if f.since_ms is not None else []
        cond += ["t.ts_ms < :until"] if f.until_ms is not None else []
        parts.append(f"EXISTS (SELECT 1 FROM tool_calls t WHERE {' AND '.join(cond)})")
        params["tool"] = tool
    if model:
        parts.append(
            "(s.model = :model OR EXISTS "
            "(SELECT 1 FROM rollup_calls r WHERE r.sid = s.sid AND r.model = :model))"
        )
        params["model"] = model
    if trigger:
        parts.append("s.trigger = :trigger")
        params["trigger"] = trigger
    needle = search.strip().translate(_UPPER)
    if needle:
        params["needle"] = needle
        find = "strpos({}, :needle) > 0" if postgres else "instr({}, :needle) > 0"
        # lower() of a "C"-collated text lowers ASCII letters only, as SQLite's lower() does
        hay = ["lower(" + _code_points("COALESCE(" + c + ", '')", postgres) + ")" for c in SEARCHED]
        parts.append("(" + " OR ".join(find.format(h) for h in hay) + ")")
    return " AND ".join(parts)


def order(sort: str, desc: bool, postgres: bool, may_lack_last: bool = True) -> str:
    """ORDER BY of a sort name: missing values last either way, ties most recent first. `may_lack_last`:
    some session may lack a last activity (False when none does)."""
    value, is_text = LIST_SORTS[sort]
    if sort == "last" and desc and (not postgres or not may_lack_last):
        # the default, in a form read backwards from ix_sessions_last_ms that stops after the page instead
        # of sorting every session (35 ms at 100,000 on SQLite, 50 on PostgreSQL): the same order, as
        # SQLite sorts NULL lowest (last when descending); PostgreSQL sorts it first, so only when no
        # session lacks a last activity
        return "s.last_ms DESC, s.sid DESC"
    key = _code_points(value, postgres) if is_text else f"({value})"
    direction = "DESC" if desc else "ASC"
    return f"({value}) IS NULL, {key} {direction}, s.last_ms IS NULL, s.last_ms DESC, s.sid DESC"

"""`Store.context`: how much context sessions use: compactions (how many, in how many sessions, the
tokens before them) and the prompt size of model calls (input + cache read + cache write)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from clawscope.model import Filters
from clawscope.store import rollup_prompts, rollup_tools
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.sql_filters import where


class ContextUse(SettledPart):  # reads roll-ups: settles what is owed first
    def compactions(self, f: Filters) -> dict[str, Any]:
        """`n`, `sessions`, `avg_before` and `max_before` (tokens) of the period's compactions."""
        p: dict[str, Any] = {}
        sql = (
            "SELECT count(*) AS n, count(DISTINCT c.sid) AS sessions, avg(c.tokens_before) AS avg_before, "
            "max(c.tokens_before) AS max_before FROM compactions c JOIN sessions s ON s.sid = c.sid "
            f"WHERE {where(f, 'c.ts_ms', p)}"
        )
        with self._read() as conn:
            return dict(conn.execute(text(sql), p).one()._mapping)

    def prompt_sizes(self, f: Filters) -> dict[str, Any]:
        """`avg_prompt` and `max_prompt` tokens per model call: the context actually sent (from the
        roll-ups over whole UTC hours, from the calls otherwise: the same numbers)."""
        if rollup_tools.covers(f):
            with self._read() as conn:
                return rollup_prompts.prompt_sizes(conn, f)
        p: dict[str, Any] = {}
        sql = (
            "SELECT avg(l.input + l.cache_read + l.cache_write) AS avg_prompt, "
            "max(l.input + l.cache_read + l.cache_write) AS max_prompt "
            "FROM llm_calls l JOIN sessions s ON s.sid = l.sid "
            f"WHERE l.has_usage AND {where(f, 'l.ts_ms', p)}"
        )
        with self._read() as conn:
            return dict(conn.execute(text(sql), p).one()._mapping)

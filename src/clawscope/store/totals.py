"""`Store.totals`: cost, tokens, calls and errors of a period, in total or per value of a dimension.

Answered from the exact roll-up tables when the period starts and ends on whole UTC hours (always so
for dates and for no period at all), from the raw rows otherwise: both give the same numbers
(`measures.py` defines them; a test compares the two over every dimension). Per-tool numbers are
`Store.tools`.
"""

from __future__ import annotations

from typing import Any

from clawscope.model import Filters
from clawscope.store import rollup_totals, row_totals
from clawscope.store.measures import empty
from clawscope.store.rollup_pending import SettledPart


class Totals(SettledPart):  # reads roll-ups: settles what is owed first
    def period(self, f: Filters) -> dict[str, Any]:
        """The period's totals (camelCase measures: `llmCalls`, `costUSD`, …)."""
        with self._read() as conn:
            if rollup_totals.covers(f):
                return rollup_totals.totals(conn, f)
            return row_totals.totals(conn, f)

    def spend(self, f: Filters) -> tuple[int, int]:
        """The period's reported and estimated cost in nano-dollars, as `period` counts them, without
        the rest of the totals (their distinct-session count is most of their cost)."""
        with self._read() as conn:
            if rollup_totals.covers(f):
                return rollup_totals.spend(conn, f)
            return row_totals.spend(conn, f)

    def groups(self, f: Filters, by: str) -> list[dict[str, Any]]:
        """Totals per value of `by` (a `DIMENSIONS` name other than `tool`), each with its `key`."""
        if by == "tool":
            raise ValueError("per-tool numbers are Store.tools.per_tool")
        with self._read() as conn:
            if rollup_totals.covers(f, by):
                return rollup_totals.groups(conn, f, by)
            return row_totals.groups(conn, f, by)

    @staticmethod
    def empty() -> dict[str, Any]:
        """The totals of nothing (all zero)."""
        return empty()

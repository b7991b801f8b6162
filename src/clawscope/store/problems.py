"""`Store.problems`: input that could not be used as is, where it was and why (nothing is dropped
silently), in the order it was found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from clawscope.store import schema
from clawscope.store.engine import Part


class Problems(Part):
    def all(self, limit: int | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT problem_id, source, path, location, code, severity, reason, excerpt, first_seen_ms "
            "FROM problems ORDER BY problem_id"
        )
        p: dict[str, Any] = {}
        if limit is not None:
            sql += " LIMIT :limit"
            p["limit"] = limit
        return self._rows(sql, p)

    def count(self, code: str | None = None) -> int:
        """How many problems were recorded (of one `code`, e.g. "unreadable", when given)."""
        stmt = select(func.count()).select_from(schema.problems)
        if code is not None:
            stmt = stmt.where(schema.problems.c.code == code)
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

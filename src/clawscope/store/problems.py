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

    def by_code(self) -> list[dict[str, Any]]:
        """Per code and severity: how many, when first and last seen, and the latest one's where and why."""
        sql = """
SELECT p.code, p.severity, c.n, c.first_ms, c.last_ms, p.source, p.path, p.location, p.reason
FROM (SELECT code, severity, count(*) AS n, min(first_seen_ms) AS first_ms, max(first_seen_ms) AS last_ms,
        max(problem_id) AS last_id
      FROM problems GROUP BY code, severity) c
JOIN problems p ON p.problem_id = c.last_id
ORDER BY c.n DESC, p.code, p.severity"""
        return self._rows(sql, {})

    def count_since(self, since_ms: int) -> int:
        """Problems first seen at or after `since_ms` (new ones)."""
        t = schema.problems
        stmt = select(func.count()).select_from(t).where(t.c.first_seen_ms >= since_ms)
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def count(self, code: str | None = None) -> int:
        """How many problems were recorded (of one `code`, e.g. "unreadable", when given)."""
        stmt = select(func.count()).select_from(schema.problems)
        if code is not None:
            stmt = stmt.where(schema.problems.c.code == code)
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

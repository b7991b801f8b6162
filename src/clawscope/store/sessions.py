"""`Store.sessions`: transcript sessions as rows: those active in a period (most recent or costliest
first), filtered keyset pages, one session, its spawn subtree, per-session costs, those with tool calls;
and deleting one from clawscope.

Pages use keyset pagination (the sort value and the sid of the last row), so a page costs the same
at any depth and rows written meanwhile do not shift it. A session counts in a period when it was
active in it (`sql_filters.session_where`).
"""

from __future__ import annotations

from contextlib import closing
from typing import Any

from sqlalchemy import select, text

from clawscope.model import Filters, SessionQuery
from clawscope.money import clamp, to_nano
from clawscope.store import deletion, schema, session_list
from clawscope.store.rollup_pending import SettledPart
from clawscope.store.sql_filters import session_where

# A session's model is its dominant one: the most cost (reported plus estimated), then the most calls,
# from its roll-up; without model calls, the model its transcript last named. (`models()` lists all.)
_DOMINANT = session_list.DOMINANT
SESSION_COLUMNS = f"""
  s.sid, s.session_id, s.key, s.kind, s.trigger, s.agent_id, s.instance, s.channel, s.parent_key,
  p.session_id AS parent_session_id, s.spawn_depth, s.job_id, s.label, s.display_name, s.status, s.first_ms,
  s.last_ms, s.n_llm_calls, s.n_tool_calls, s.n_tool_errors, s.n_errors, s.tokens_in, s.tokens_out,
  s.cache_read, s.cache_write, s.cost_usd, s.est_cost_usd, s.n_entries, s.n_messages, s.n_compactions,
  s.total_tokens, s.source,
  CASE WHEN s.n_llm_calls > 0 THEN NULLIF({_DOMINANT.format(col="r.provider")}, '')
       ELSE s.model_provider END AS model_provider,
  CASE WHEN s.n_llm_calls > 0 THEN {_DOMINANT.format(col="r.model")} ELSE s.model END AS model,
  s.cwd, s.header_version
"""
_FROM = "FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid"
ORDERS = {
    "recent": "s.last_ms DESC, s.sid DESC",
    "cost": "s.cost_usd DESC, s.sid DESC",
    "total_cost": "s.cost_usd + s.est_cost_usd DESC, s.sid DESC",
}
# sort name of a page -> (SQL value, descending?)
SORTS: dict[str, tuple[str, bool]] = {
    "recent": ("COALESCE(s.last_ms, 0)", True),
    "oldest": ("COALESCE(s.first_ms, 0)", False),
    "cost": ("s.cost_usd", True),
    "calls": ("s.n_llm_calls", True),
}


class Sessions(SettledPart):  # reads roll-ups: settles what is owed first
    def active(self, f: Filters, limit: int | None = None, order: str = "recent") -> list[dict[str, Any]]:
        """Sessions (with entries) active in the period, most recent first (or `cost`: reported cost,
        `total_cost`: reported plus estimated)."""
        p: dict[str, Any] = {}
        if limit is None:
            sql = f"SELECT {SESSION_COLUMNS} {_FROM} WHERE {session_where(f, p)} ORDER BY {ORDERS[order]}"
            return self._rows(sql, p)
        # the page's sessions first, from the bare table, then their columns (the dominant model is a
        # subquery per row: over every session it cost seconds at 100,000 sessions)
        p["limit"] = limit
        pick = (
            f"SELECT s.sid FROM sessions s WHERE {session_where(f, p)} ORDER BY {ORDERS[order]} LIMIT :limit"
        )
        sql = (
            f"SELECT {SESSION_COLUMNS} FROM ({pick}) k JOIN sessions s ON s.sid = k.sid "
            f"LEFT JOIN sessions p ON p.sid = s.parent_sid ORDER BY {ORDERS[order]}"
        )
        return self._rows(sql, p)

    def cost_stats(self, f: Filters) -> dict[str, Any] | None:
        """On PostgreSQL: `count`, `total`, `max` and the `p50`/`p90`/`p99` (linear interpolation, as
        `analytics.metrics.percentile`) of the sessions' reported plus estimated cost in nano-dollars,
        computed by the database: fetching 100,000 amounts into Python took 200 ms there. None on SQLite,
        which has no percentile function (the caller sorts `costs`)."""
        if not self._postgres:
            return None
        p: dict[str, Any] = {}
        sql = (
            "SELECT count(*) AS n, sum(c) AS total, max(c) AS top, percentile_cont(ARRAY[0.5, 0.9, 0.99]) "
            "WITHIN GROUP (ORDER BY c) AS pcts "
            f"FROM (SELECT s.cost_usd + s.est_cost_usd AS c FROM sessions s WHERE {session_where(f, p)}) x"
        )
        with self._read() as conn:
            row = conn.execute(text(sql), p).one()
        n = int(row.n)
        pcts = list(row.pcts) if n else [None, None, None]
        return {
            "count": n,
            "total": int(row.total or 0),
            "max": None if not n else int(row.top),
            "p50": pcts[0],
            "p90": pcts[1],
            "p99": pcts[2],
        }

    def costs(self, f: Filters) -> list[int]:
        """Reported plus estimated cost of every session active in the period, in nano-dollars."""
        p: dict[str, Any] = {}
        sql = f"SELECT s.cost_usd + s.est_cost_usd FROM sessions s WHERE {session_where(f, p)}"
        with self._read() as conn:
            if self._postgres:
                return [int(r[0]) for r in conn.execute(text(sql), p)]
            # straight from the driver: 100,000 amounts through SQLAlchemy's result rows took longer
            # than the index scan itself (58 ms instead of 27)
            with closing(conn.connection.driver_connection.cursor()) as cur:  # type: ignore[union-attr]
                return [int(r[0]) for r in cur.execute(sql, p)]

    def page(self, q: SessionQuery, limit: int, after: tuple[float, int] | None) -> list[dict[str, Any]]:
        """Up to `limit` sessions (with entries) matching `q`, after the keyset position `after`; each row
        carries its `sort_value`."""
        value, desc = SORTS[q.sort]
        parts = ["s.n_entries > 0"]
        p: dict[str, Any] = {"limit": limit}
        for col, v in (("agent_id", q.agent), ("kind", q.kind), ("channel", q.channel)):
            if v is not None:
                parts.append(f"s.{col} = :{col}")
                p[col] = v
        if q.model is not None:
            parts.append(
                "(s.model = :model OR EXISTS "
                "(SELECT 1 FROM rollup_calls r WHERE r.sid = s.sid AND r.model = :model))"
            )
            p["model"] = q.model
        if q.since_ms is not None:
            parts.append("s.last_ms >= :since")
            p["since"] = q.since_ms
        if q.until_ms is not None:
            parts.append("s.first_ms < :until")
            p["until"] = q.until_ms
        if q.min_cost is not None:
            parts.append("s.cost_usd + s.est_cost_usd >= :min_cost")
            p["min_cost"] = clamp(to_nano(q.min_cost))  # dollars asked, nano-dollars stored
        if q.has_errors is not None:
            parts.append("s.n_errors + s.n_tool_errors " + ("> 0" if q.has_errors else "= 0"))
        if after is not None:
            op = "<" if desc else ">"
            parts.append(f"({value} {op} :after_v OR ({value} = :after_v AND s.sid {op} :after_sid))")
            p["after_v"], p["after_sid"] = after
        direction = "DESC" if desc else "ASC"
        # the page's keys first, from the bare table; then their columns (see `active`)
        pick = (
            f"SELECT s.sid, {value} AS sort_value FROM sessions s WHERE {' AND '.join(parts)} "
            f"ORDER BY {value} {direction}, s.sid {direction} LIMIT :limit"
        )
        sql = (
            f"SELECT {SESSION_COLUMNS}, k.sort_value FROM ({pick}) k JOIN sessions s ON s.sid = k.sid "
            "LEFT JOIN sessions p ON p.sid = s.parent_sid "
            f"ORDER BY k.sort_value {direction}, s.sid {direction}"
        )
        return self._rows(sql, p)

    def listing(
        self,
        f: Filters,
        *,
        search: str = "",
        model: str | None = None,
        trigger: str | None = None,
        provider: str | None = None,
        tool: str | None = None,
        sort: str = "last",
        desc: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """The Sessions list: sessions active in the period with these attributes (`model`: that called
        it, `provider`: one of its models, `tool`: it in the period; `search`: text in the id, key,
        label, agent, channel, model or kind), sorted by a name of
        `session_list.LIST_SORTS`, `limit` rows from `offset` (all without a limit)."""
        p: dict[str, Any] = {}
        cond = session_list.where(f, search, model, trigger, p, self._postgres, provider, tool)
        # (probed only where the answer changes the order: PostgreSQL's most-recent-first listing)
        may_lack_last = self._postgres and sort == "last" and desc and self._lacks_last_activity()
        order = session_list.order(sort, desc, self._postgres, may_lack_last)
        page = ""
        if limit is not None:
            page = "LIMIT :limit OFFSET :offset"
            p["limit"], p["offset"] = limit, max(offset, 0)
        # the page's keys first, from the bare table (a top-N sort keeps only the page's rows; numbering
        # every row with a window function sorted all of them: 75 ms at 100,000 sessions), then their
        # columns, in the same order (the sort key ends with the unique sid: a total order)
        pick = f"SELECT s.sid FROM sessions s WHERE {cond} ORDER BY {order} {page}"
        sql = (
            f"SELECT {SESSION_COLUMNS} FROM ({pick}) k JOIN sessions s ON s.sid = k.sid "
            f"LEFT JOIN sessions p ON p.sid = s.parent_sid ORDER BY {order}"
        )
        return self._rows(sql, p)

    def _lacks_last_activity(self) -> bool:
        """Whether a session with entries has no last activity (one probe of ix_sessions_last_ms)."""
        sql = "SELECT 1 FROM sessions s WHERE s.last_ms IS NULL AND s.n_entries > 0 LIMIT 1"
        with self._read() as conn:
            return conn.execute(text(sql)).first() is not None

    def count(
        self,
        f: Filters,
        *,
        search: str = "",
        model: str | None = None,
        trigger: str | None = None,
        provider: str | None = None,
        tool: str | None = None,
    ) -> int:
        """How many sessions `listing` holds with these filters."""
        p: dict[str, Any] = {}
        cond = session_list.where(f, search, model, trigger, p, self._postgres, provider, tool)
        with self._read() as conn:
            return int(conn.execute(text(f"SELECT COUNT(*) FROM sessions s WHERE {cond}"), p).scalar_one())

    def facets(self, f: Filters) -> dict[str, list[str]]:
        """The agents, kinds, channels and triggers of the sessions active in the period (the Sessions
        and Search pages' filter choices), each sorted."""
        found: dict[str, set[str]] = {name: set() for name in session_list.FACETS}
        p: dict[str, Any] = {}
        # one scan for the four (their combinations are few), not one per facet; of the raw columns the
        # covering index `ix_sessions_scan` holds (SQLite reads generated columns from the table: 60 ms
        # instead of 18 at 100,000 sessions), the generated ones derived from the few distinct rows.
        # (Not led by agent_id: SQLite then walks ix_sessions_agent_id for its order, through the table.)
        raw = "SELECT DISTINCT s.key_kind, s.inferred_kind, s.channel, s.agent_id FROM sessions s"
        sql = (
            f"SELECT d.agent_id, {schema.KIND_SQL} AS kind, d.channel, {schema.TRIGGER_SQL} AS trigger "
            f"FROM ({raw} WHERE {session_where(f, p)}) d"
        )
        with self._read() as conn:
            for row in conn.execute(text(sql), p):
                for name, value in zip(session_list.FACETS, row, strict=True):
                    if value:
                        found[name].add(str(value))
        return {name: sorted(values) for name, values in found.items()}

    def one(self, session_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            row = conn.execute(
                text(f"SELECT {SESSION_COLUMNS} {_FROM} WHERE s.session_id = :id"), {"id": session_id}
            ).first()
        return None if row is None else dict(row._mapping)

    def models(self, session_id: str) -> list[dict[str, Any]]:
        """Every model a session called, the dominant first: provider, model, calls, tokens, cost."""
        sql = text("""
SELECT NULLIF(r.provider, '') AS provider, r.model, SUM(r.llm_calls) AS llm_calls,
  SUM(r.tokens_in) AS tokens_in, SUM(r.tokens_out) AS tokens_out, SUM(r.cache_read) AS cache_read,
  SUM(r.cache_write) AS cache_write, SUM(r.cost) AS cost, SUM(r.est_cost) AS est_cost
FROM rollup_calls r JOIN sessions s ON s.sid = r.sid WHERE s.session_id = :id
GROUP BY r.provider, r.model
ORDER BY SUM(r.cost + r.est_cost) DESC, SUM(r.llm_calls) DESC, r.provider, r.model""")
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(sql, {"id": session_id})]

    def subtree(self, sid: int, max_depth: int = 64) -> list[dict[str, Any]]:
        """A session and all its spawned descendants (each once, depth-limited against cycles)."""
        sql = text(f"""
WITH RECURSIVE tree(sid, depth) AS (
  SELECT sid, 0 FROM sessions WHERE sid = :sid
  UNION
  SELECT c.sid, tree.depth + 1 FROM sessions c JOIN tree ON c.parent_sid = tree.sid
  WHERE tree.depth < :max_depth AND c.sid <> :sid
)
SELECT DISTINCT {SESSION_COLUMNS}, s.parent_sid AS parent_sid_raw
FROM tree JOIN sessions s ON s.sid = tree.sid LEFT JOIN sessions p ON p.sid = s.parent_sid""")
        with self._read() as conn:
            return [dict(r._mapping) for r in conn.execute(sql, {"sid": sid, "max_depth": max_depth})]

    def with_tool_calls(self, session_id: str | None = None) -> list[tuple[str, str | None, str | None]]:
        """(session id, key, agent id) of the sessions that have tool calls (or of one session)."""
        s = schema.sessions.c
        stmt = select(s.session_id, s.key, s.agent_id).order_by(s.first_ms, s.sid)
        stmt = stmt.where(s.session_id == session_id) if session_id else stmt.where(s.n_tool_calls > 0)
        with self._read() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(stmt)]

    def delete(self, session_id: str) -> bool:
        """Remove a session from clawscope (never from OpenClaw); False when there is none. Ingest skips
        its id from then on (see deletion.py)."""
        with self._write() as conn:
            return deletion.delete_session(conn, session_id, self._clock())

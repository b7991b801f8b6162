"""`Store.observations`: hook events and OTLP spans/points/logs, stored once each and announced on the
event log.

`record()` inserts what is new (by `dedupe`), then appends one event per new observation that a live
view cares about: `tool.call` (tool), `llm.call` (llm), `session.updated` (session, message) and
`problem` (problem). Events carry `"source": "hook"|"otlp"` so a consumer can tell them from the
transcript's own events (the same call may well be reported by both: that is why observations are
never added to the transcript statistics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import bindparam, select, text

from clawscope.model import Observation
from clawscope.money import to_nano_or_none, usd_or_none
from clawscope.store import bulk, schema
from clawscope.store import events as log
from clawscope.store.engine import Part, placeholder
from clawscope.store.events import Event

_COLS = [c.name for c in schema.observations.columns if c.name != "id"]
_EVENT_TYPE = {
    "tool": "tool.call",
    "llm": "llm.call",
    "session": "session.updated",
    "message": "session.updated",
    "problem": "problem",
}


class Observations(Part):
    def record(self, found: Sequence[Observation], now_ms: int | None = None) -> tuple[int, list[Event]]:
        """Store new observations; return how many were new and the events appended for them.
        `now_ms` is the receiving time (default: the store's clock)."""
        if not found:
            return 0, []
        now = self._clock() if now_ms is None else now_ms
        unique: dict[str, Observation] = {}
        for o in found:
            unique.setdefault(o.dedupe, o)
        sql = bulk.insert_ignore(schema.observations, _COLS, placeholder(self._engine))
        keys = sorted(unique)
        with self._write() as conn:
            old: set[str] = set()
            stmt = text("SELECT dedupe FROM observations WHERE dedupe IN :k").bindparams(
                bindparam("k", expanding=True)
            )
            for i in range(0, len(keys), 500):
                old.update(r[0] for r in conn.execute(stmt, {"k": keys[i : i + 500]}))
            new = [o for k, o in unique.items() if k not in old]
            if new:
                cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
                cur.executemany(sql, [_row(o, now) for o in new])
            kinds = _session_kinds(conn, {o.session_id for o in new if o.session_id})
            events = [e for o in new if (e := to_event(o, kinds)) is not None]
            top = log.append_in(conn, events, now)  # with the data: a crash keeps both or neither
        log.announce(top)
        return len(new), events

    def query(
        self,
        *,
        source: str | None = None,
        category: str | None = None,
        session_id: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """What arrived, newest first, each with its decoded `payload` (and `cost_usd` in dollars)."""
        t = schema.observations
        stmt = select(t).order_by(t.c.id.desc()).limit(limit)
        for col, value in ((t.c.source, source), (t.c.category, category), (t.c.session_id, session_id)):
            if value is not None:
                stmt = stmt.where(col == value)
        with self._read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(stmt)]
        for r in rows:
            r["payload"] = orjson.loads(r.pop("payload"))
            r["cost_usd"] = usd_or_none(r["cost_usd"])
        return rows


def _row(o: Observation, now: int) -> tuple[Any, ...]:
    values = {f: getattr(o, f) for f in _COLS if f not in ("received_ms", "payload")}
    values["received_ms"] = now
    values["cost_usd"] = to_nano_or_none(o.cost_usd)
    values["payload"] = orjson.dumps(o.payload, default=str).decode()
    return tuple(values[c] for c in _COLS)


def _session_kinds(conn: Any, ids: set[str]) -> dict[str, tuple[str | None, str | None]]:
    if not ids:
        return {}
    s = schema.sessions
    stmt = select(s.c.session_id, s.c.kind, s.c.agent_id).where(s.c.session_id.in_(sorted(ids)[:1000]))
    return {r[0]: (r[1], r[2]) for r in conn.execute(stmt)}


def to_event(o: Observation, kinds: dict[str, tuple[str | None, str | None]]) -> Event | None:
    type_ = _EVENT_TYPE.get(o.category)
    if type_ is None:
        return None
    kind, agent = kinds.get(o.session_id or "", (None, None))
    payload: dict[str, Any] = {
        "source": o.source,
        "name": o.name,
        "sessionKey": o.session_key,
        "runId": o.run_id,
    }
    if o.category == "tool":
        payload.update(
            callId=o.call_id,
            name=o.tool_name,
            event=o.name,
            status="error" if o.is_error else "ok",
            durationMs=o.duration_ms,
        )
    elif o.category == "llm":
        payload.update(
            provider=o.provider,
            model=o.model,
            tokensIn=o.tokens_in,
            tokensOut=o.tokens_out,
            cacheRead=o.cache_read,
            cacheWrite=o.cache_write,
            totalTokens=o.total_tokens,
            costUSD=usd_or_none(to_nano_or_none(o.cost_usd)),  # to the nano-dollar, as stored
            durationMs=o.duration_ms,
        )
    elif o.category in ("session", "message"):
        payload["change"] = o.name
        for k in ("reason", "messageCount", "childSessionKey", "targetSessionKey", "outcome", "channel"):
            if k in o.payload:
                payload[k] = o.payload[k]
    else:  # problem
        payload.update(
            code=o.name, count=1, isError=True, detail=o.payload.get("error") or o.payload.get("message")
        )
    return Event(
        type_,
        payload,
        ts_ms=o.ts_ms,
        agent=o.agent or agent,
        session_id=o.session_id,
        kind=kind,
        instance=o.instance,
    )

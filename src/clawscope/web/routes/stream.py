"""`GET /api/v1/openclaw/stream`: the live event stream (Server-Sent Events).

Each event is `id: <n>`, `event: <type>`, `data: <JSON of Event.to_json()>`. A client that reconnects
with `Last-Event-ID` (header, or `?lastEventId=` for browsers that cannot set headers) receives exactly
the events it missed, read from the event log, then the live ones; without it, only events newer than
the connection. Order of operations for a gap-free hand-over: subscribe to the bus first, then read
the log; live events already read from the log are skipped by id.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import StreamingResponse

from clawscope.store import Event, EventFilter
from clawscope.web.auth import Principal, current_principal
from clawscope.web.bus import Subscription
from clawscope.web.errors import ApiError
from clawscope.web.state import AppState, StateDep

router = APIRouter(tags=["stream"])


def stream_reader(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not (principal.allows("stats:read") or principal.allows("sessions:read")):
        raise ApiError(
            403, "the stream needs the scope 'stats:read' or 'sessions:read'", code="insufficient_scope"
        )
    return principal


def _values(raw: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for item in raw or [] for v in item.split(",") if v.strip())


# What a finding says of a transcript (its message, its evidence: excerpts, paths, masked PII) is
# transcript content: a reader with `stats:read` only gets the rest of a `detection` event.
_TRANSCRIPT_FIELDS = {"detection": ("message", "evidence")}


def format_event(e: Event, *, transcripts: bool = True) -> bytes:
    body = e.to_json()
    hidden = () if transcripts else _TRANSCRIPT_FIELDS.get(e.type, ())
    if hidden and isinstance(body["data"], dict):
        body["data"] = {k: v for k, v in body["data"].items() if k not in hidden}
    data = orjson.dumps(body)
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (e.id, e.type.encode(), data)


@router.get(
    "/openclaw/stream",
    summary="Live events (SSE): session.updated, llm.call, tool.call, problem",
    response_class=StreamingResponse,
    include_in_schema=False,  # an endless text/event-stream: documented in the README, not in OpenAPI
)
async def stream(
    state: StateDep,
    principal: Annotated[Principal, Depends(stream_reader)],
    type: Annotated[list[str] | None, Query(description="event types, comma-separated or repeated")] = None,
    agent: Annotated[list[str] | None, Query()] = None,
    session: Annotated[list[str] | None, Query(description="session ids")] = None,
    kind: Annotated[
        list[str] | None, Query(description="session kinds (main, subagent, cron-run, …)")
    ] = None,
    last_event_id_q: Annotated[str | None, Query(alias="lastEventId")] = None,
    last_event_id_h: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    flt = EventFilter(_values(type), _values(agent), _values(session), _values(kind))
    raw_last = last_event_id_h or last_event_id_q
    last: int | None = None
    if raw_last:
        try:
            last = int(raw_last)
            if not 0 <= last < 2**63:  # a database integer
                raise ValueError(raw_last)
        except ValueError:
            raise ApiError(
                422, "Last-Event-ID must be an event id (an integer)", param="lastEventId"
            ) from None
    sub = state.bus.subscribe(flt)
    return StreamingResponse(
        _events(state, sub, flt, last, transcripts=principal.allows("sessions:read")),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=None,
    )


async def _events(
    state: AppState, sub: Subscription, flt: EventFilter, last: int | None, *, transcripts: bool
) -> AsyncIterator[bytes]:
    bus = state.bus
    events = state.store.events
    heartbeat = state.settings.stream_heartbeat_s
    try:
        if last is None:  # the starting point is fixed before the client hears it is connected
            last = await asyncio.to_thread(events.max_id)
            yield b"retry: 2000\n: connected\n\n"
        else:
            yield b"retry: 2000\n: connected\n\n"
            while True:  # the missed events, from the log, page by page
                page = await asyncio.to_thread(events.read_after, last, flt, 1000)
                for e in page:
                    yield format_event(e, transcripts=transcripts)
                    last = e.id
                if len(page) < 1000:
                    break
        while True:
            try:
                live = await asyncio.wait_for(_get(sub), heartbeat)
            except TimeoutError:
                yield b": heartbeat\n\n"
                continue
            if live is None:  # bus stopped or this subscriber fell behind: the client resumes by id
                return
            if live.id > last:
                last = live.id
                yield format_event(live, transcripts=transcripts)
    finally:
        bus.unsubscribe(sub)


async def _get(sub: Subscription) -> Event | None:
    return await sub.queue.get()

"""`POST /api/v1/openclaw/events`: OpenClaw's event webhooks and forwarded plugin hooks.

Envelopes `{event, timestamp, data}` signed with `X-OpenClaw-Signature: sha256=<hex HMAC-SHA256 of the
raw body>` (seed 003; the body as sent, i.e. compressed when `Content-Encoding: gzip`), compared in
constant time and checked before anything is decompressed or parsed. The secret is the server
setting `events_secret` (per-agent secrets belong to agent registration, another feature); without
it every call is refused. Errors: 401 bad or missing signature, 413 too large, 422 not an envelope.
`GET /api/v1/openclaw/observations` lists what arrived (hooks and OTLP), newest first.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from clawscope import webhooks
from clawscope.model import CATEGORIES
from clawscope.sources.hook_events import EnvelopeError, decode_envelope
from clawscope.timeutil import now_ms
from clawscope.web.auth import Principal, require
from clawscope.web.body import decode_body, read_raw
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.params import TEXT
from clawscope.web.state import StateDep

router = APIRouter(tags=["openclaw events"])
SIGNATURE_HEADER = webhooks.OPENCLAW_SIGNATURE_HEADER


def check_signature(secret: str, body: bytes, header: str | None) -> None:
    if not secret:
        raise ApiError(
            401, "event webhooks are disabled: set the events_secret setting", code="invalid_signature"
        )
    if not header:
        raise ApiError(401, f"missing {SIGNATURE_HEADER} header", code="invalid_signature")
    if not webhooks.verify(secret.encode(), body, header):
        raise ApiError(401, f"{SIGNATURE_HEADER} does not match the body", code="invalid_signature")


@router.post(
    "/openclaw/events",
    status_code=202,
    summary="Receive a signed OpenClaw event (webhook or plugin hook)",
    responses=error_responses(400, 401, 413, 415),
)
async def receive_event(request: Request, state: StateDep) -> dict[str, Any]:
    limit = state.settings.webhook_max_bytes
    raw = await read_raw(request, limit)
    check_signature(state.settings.events_secret, raw, request.headers.get(SIGNATURE_HEADER))
    body = decode_body(request, raw, limit)
    try:
        obs = decode_envelope(body, received_ms=now_ms(), instance=state.settings.instance)
    except EnvelopeError as exc:
        raise ApiError(422, str(exc), param=exc.param) from None
    new, events = await asyncio.to_thread(state.store.observations.record, [obs])
    return {
        "accepted": True,
        "duplicate": new == 0,
        "event": obs.name,
        "category": obs.category,
        "published": [e.type for e in events],
    }


@router.get("/openclaw/observations", summary="Hook events and OTLP data received, newest first")
def list_observations(
    state: StateDep,
    _principal: Annotated[Principal, Depends(require("sessions:read"))],
    source: Annotated[str | None, Query(pattern="^(hook|otlp)$")] = None,
    category: Annotated[
        str | None, Query(description=", ".join(CATEGORIES), pattern=f"^(?:{'|'.join(CATEGORIES)})$")
    ] = None,
    session: Annotated[str | None, Query(description="a session id", **TEXT)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    rows = state.store.observations.query(source=source, category=category, session_id=session, limit=limit)
    return {"observations": rows, "count": len(rows)}

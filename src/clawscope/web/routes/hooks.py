"""`POST /api/v1/openclaw/events`: OpenClaw's event webhooks and forwarded plugin hooks.

Envelopes `{event, timestamp, data}` signed with `X-OpenClaw-Signature: sha256=<hex HMAC-SHA256 of the
raw body>` (seed 003; the body as sent, i.e. compressed when `Content-Encoding: gzip`), compared in
constant time and checked before anything is decompressed or parsed. The secret is the sending
agent's own webhook secret (registered with `POST /api/v1/openclaw/agents`), the agent named by the
`X-Clawscope-Agent` header or the `agent` query parameter (its id); a request naming no agent is
checked against the server setting `events_secret`, and refused when it is unset. Errors: 401 bad or
missing signature or unknown agent, 413 too large, 422 not an envelope.
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


AGENT_HEADER = "X-Clawscope-Agent"


def check_signature(secret: str | bytes, body: bytes, header: str | None) -> None:
    if not secret:
        raise ApiError(
            401, "event webhooks are disabled: set the events_secret setting", code="invalid_signature"
        )
    if not header:
        raise ApiError(401, f"missing {SIGNATURE_HEADER} header", code="invalid_signature")
    if not webhooks.verify(secret.encode() if isinstance(secret, str) else secret, body, header):
        raise ApiError(401, f"{SIGNATURE_HEADER} does not match the body", code="invalid_signature")


@router.post(
    "/openclaw/events",
    status_code=202,
    summary="Receive a signed OpenClaw event (webhook or plugin hook)",
    responses=error_responses(400, 401, 413, 415),
)
async def receive_event(
    request: Request,
    state: StateDep,
    agent: Annotated[
        str | None, Query(min_length=1, max_length=200, description="the sending agent's id (or the header)")
    ] = None,
) -> dict[str, Any]:
    limit = state.settings.webhook_max_bytes
    agent_id = request.headers.get(AGENT_HEADER) or agent
    secret: str | bytes = state.settings.events_secret
    instance = state.settings.instance
    if agent_id is not None:
        signer = await asyncio.to_thread(state.store.remote.signer_by_id, agent_id)
        if signer is None or not signer.secret:
            raise ApiError(401, "unknown agent", code="unknown_agent", param="agent")
        secret, instance = signer.secret, signer.instance.name
    raw = await read_raw(request, limit)
    check_signature(secret, raw, request.headers.get(SIGNATURE_HEADER))
    body = decode_body(request, raw, limit)
    try:
        obs = decode_envelope(body, received_ms=now_ms(), instance=instance)
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

"""`POST /api/v1/openclaw/webhook`: a session pushed by a registered agent, signed with its secret.

Headers (the seed's `X-Pisama-*` names are aliases): `X-Clawscope-API-Key` (a clawscope API key
with `ingest:write`; `Authorization: Bearer` also works), `X-Clawscope-Timestamp` (Unix seconds),
`X-Clawscope-Signature` (`sha256=` + hex HMAC-SHA256 of `"{timestamp}.{raw body}"` under the agent's
webhook secret) and `X-Clawscope-Nonce` (optional; a nonce is accepted once, by any server process
on the database). The body is read up to `webhook_max_bytes` and no further.

Untrusted bytes are authenticated before they are parsed: the API key first (before a byte of the
body is read), then a bounded decode of only the fields that name the signer (`instance_id`,
`agent_name`), the signature checked over the raw bytes, and only then one full decode
(`sources/session_webhook.py`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from clawscope import webhooks
from clawscope.errors import ReplayedNonceError, SessionOwnedError, UnstorableValueError
from clawscope.ingest.remote import PayloadError, prepare, read_head, read_payload
from clawscope.timeutil import now_ms
from clawscope.web.auth import current_principal
from clawscope.web.body import read_raw as read_body
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.state import AppState, StateDep

router = APIRouter(prefix="/openclaw", tags=["openclaw"])
PRUNE_EVERY_S = 60.0
# What the body must at least be (the rest is checked by the wire decoder, after the signature).
SESSION_PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "SessionPayload",
    "required": ["session_id", "agent_name"],
    "properties": {
        "session_id": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "pattern": "^[^\\x00-\\x1f\\x7f]*$",
        },
        "agent_name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 512,
            "pattern": "^[^\\x00-\\x1f\\x7f]*$",
        },
        "instance_id": {
            "type": ["string", "null"],
            "minLength": 1,
            "maxLength": 512,
            "pattern": "^[^\\x00-\\x1f\\x7f]*$",
        },
        "status": {"type": ["string", "null"]},
        "message_count": {"type": ["integer", "null"]},
        "entries": {"type": "array", "items": {"type": "object"}},
    },
}


def header(request: Request, name: str) -> str | None:
    """`X-Clawscope-<name>`, or the seed's `X-Pisama-<name>`."""
    return request.headers.get(f"x-clawscope-{name}") or request.headers.get(f"x-pisama-{name}")


def _authorize(request: Request) -> None:
    key = header(request, "api-key")
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=key) if key else None
    if creds is None:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=auth[7:].strip())
    principal = current_principal(request, creds)
    if not principal.allows("ingest:write"):
        raise ApiError(403, "this key lacks the scope 'ingest:write'", code="insufficient_scope")


def _maybe_prune(state: AppState, now_s: float) -> None:
    if now_s - state.nonces_pruned_s < PRUNE_EVERY_S:
        return
    state.nonces_pruned_s = now_s
    keep_s = max(2 * state.settings.webhook_window_s, 60)
    state.store.remote.prune_nonces(int((now_s - keep_s) * 1000))


def _fresh_or_reject(request: Request, state: AppState) -> None:
    stamp = header(request, "timestamp") or ""
    if not webhooks.fresh(stamp, now_ms() / 1000, state.settings.webhook_window_s):
        raise ApiError(401, "timestamp missing or outside the accepted window", code="stale_timestamp")


def _accept(request: Request, state: AppState, body: bytes) -> dict[str, Any]:
    try:
        head = read_head(body)
    except PayloadError as exc:
        raise ApiError(422, str(exc), param=exc.param) from None
    signer = state.store.remote.signer(head.instance_id, head.agent_name)
    sig = header(request, "signature") or ""
    stamp = header(request, "timestamp") or ""
    if signer is None or not signer.secret:
        raise ApiError(
            401, "unknown agent (instance_id, agent_name)", code="unknown_agent", param="agent_name"
        )
    now = now_ms()
    _fresh_or_reject(request, state)  # (again: the request may have waited for a thread)
    if not webhooks.verify(signer.secret, body, sig, timestamp=stamp):
        raise ApiError(401, "bad signature", code="invalid_signature")
    nonce = header(request, "nonce")
    if nonce is not None:
        if not 8 <= len(nonce) <= 200 or not nonce.isprintable():
            raise ApiError(422, "nonce must be 8 to 200 printable characters", param=webhooks.NONCE_HEADER)
        _maybe_prune(state, now / 1000)
    try:
        payload = read_payload(body)
        if payload.instance_id is not None and payload.instance_id != signer.instance.instance_id:
            raise PayloadError("instance_id does not match the agent's instance", "instance_id")
        item = prepare(
            state.store,
            payload,
            signer.instance.name,
            trace_only=signer.instance.ingestion_mode == "trace_only",
            may_hold_nul=b"\\u0000" in body,
        )
        if nonce is not None:
            item.nonce = (f"{signer.agent.agent_id}:{nonce}", now)
        item.owner = (signer.instance.instance_id, now)  # another instance's agents may not append
        state.webhooks.write(item)
    except ReplayedNonceError:
        raise ApiError(409, "nonce already used", code="replayed_nonce") from None
    except SessionOwnedError:
        raise ApiError(
            403, "this session belongs to another registered instance", code="session_owned_elsewhere"
        ) from None
    except PayloadError as exc:
        raise ApiError(422, str(exc), param=exc.param) from None
    except (UnstorableValueError, ValueError) as exc:  # text the database cannot hold (PostgreSQL: NUL)
        raise ApiError(422, f"payload holds text the database cannot store: {exc}") from None
    done = item.accepted()
    return {
        "status": "accepted",
        "session_id": done.session_id,
        "entries": done.entries,
        "new_entries": done.new_entries,
        "llm_calls": done.llm_calls,
        "tool_calls": done.tool_calls,
    }


@router.post(
    "/webhook",
    summary="Receive a signed agent session webhook",
    responses=error_responses(401, 403, 409, 413, 422, 429),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SESSION_PAYLOAD_SCHEMA}},
        }
    },
)
async def webhook(request: Request, state: StateDep) -> dict[str, Any]:
    await run_in_threadpool(_authorize, request)  # before reading a byte of the body
    _fresh_or_reject(request, state)  # a stale request costs no body, look-up or thread (checked again later)
    body = await read_body(request, state.settings.webhook_max_bytes)
    result: dict[str, Any] = await run_in_threadpool(_accept, request, state, body)
    return result

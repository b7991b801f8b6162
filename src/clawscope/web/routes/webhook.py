"""`POST /api/v1/openclaw/webhook`: a session pushed by a registered agent, signed with its secret.

Headers (the seed's `X-Pisama-*` names are aliases): `X-Clawscope-API-Key` (a clawscope API key
with `ingest:write`; `Authorization: Bearer` also works), `X-Clawscope-Timestamp` (Unix seconds),
`X-Clawscope-Signature` (`sha256=` + hex HMAC-SHA256 of `"{timestamp}.{raw body}"` under the agent's
webhook secret) and `X-Clawscope-Nonce` (optional; a nonce is accepted once, by any server process
on the database). The body is read up to `webhook_max_bytes` and no further.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from clawscope.ingest.group import GroupCommit
from clawscope.ingest.remote import PayloadError, prepare, read_head, read_payload
from clawscope.store.remote import Remote
from clawscope.web.auth import current_principal
from clawscope.web.body import read_raw as read_body
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.routes.openclaw import remote
from clawscope.web.state import AppState, StateDep

router = APIRouter(prefix="/openclaw", tags=["openclaw"])
PRUNE_EVERY_S = 60.0
_GROUP_LOCK = threading.Lock()


def header(request: Request, name: str) -> str | None:
    """`X-Clawscope-<name>`, or the seed's `X-Pisama-<name>`."""
    return request.headers.get(f"x-clawscope-{name}") or request.headers.get(f"x-pisama-{name}")


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


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


def _maybe_prune(state: AppState, reg: Remote, now: float) -> None:
    last = state.extras.get("nonce_pruned", 0.0)
    if now - last < PRUNE_EVERY_S:
        return
    state.extras["nonce_pruned"] = now
    keep_s = max(2 * state.settings.webhook_window_s, 60)
    reg.prune_nonces(int((now - keep_s) * 1000))


def _group(state: AppState) -> GroupCommit:
    group = state.extras.get("webhook_group")
    if group is None:
        group = state.extras["webhook_group"] = GroupCommit(
            state.store, estimate=state.settings.price_estimates
        )

        async def stop() -> None:
            group.close()

        state.extras.setdefault("on_shutdown", []).append(stop)
    assert isinstance(group, GroupCommit)
    return group


def _accept(request: Request, state: AppState, body: bytes) -> dict[str, Any]:
    try:
        head = read_head(body)
    except PayloadError as exc:
        raise ApiError(422, str(exc), param=exc.param) from None
    reg = remote(state)
    signer = reg.signer(head.instance_id, head.agent_name)
    sig = header(request, "signature") or ""
    stamp = header(request, "timestamp") or ""
    if signer is None or not signer.secret:
        raise ApiError(
            401, "unknown agent (instance_id, agent_name)", code="unknown_agent", param="agent_name"
        )
    now = time.time()
    if not stamp.isdigit() or abs(now - int(stamp)) > state.settings.webhook_window_s:
        raise ApiError(401, "timestamp missing or outside the accepted window", code="stale_timestamp")
    if not hmac.compare_digest(signature(signer.secret, stamp, body).encode(), sig.encode()):
        raise ApiError(401, "bad signature", code="invalid_signature")
    nonce = header(request, "nonce")
    if nonce is not None:
        if not 8 <= len(nonce) <= 200 or not nonce.isprintable():
            raise ApiError(422, "nonce must be 8 to 200 printable characters", param="X-Clawscope-Nonce")
        _maybe_prune(state, reg, now)
    try:
        payload = read_payload(body)
        if payload.instance_id is not None and payload.instance_id != signer.instance.instance_id:
            raise PayloadError("instance_id does not match the agent's instance", "instance_id")
        item = prepare(
            state.store,
            payload,
            signer.instance.name,
            trace_only=signer.instance.ingestion_mode == "trace_only",
        )
        if nonce is not None:
            item.nonce = (f"{signer.agent.agent_id}:{nonce}", int(now * 1000))
        _group(state).write(item)
    except IntegrityError as exc:
        if "webhook_nonces" not in str(exc):
            raise
        raise ApiError(409, "nonce already used", code="replayed_nonce") from None
    except PayloadError as exc:
        raise ApiError(422, str(exc), param=exc.param) from None
    except ValueError as exc:  # text the database cannot hold (PostgreSQL: NUL)
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
            "content": {"application/json": {"schema": {"type": "object", "title": "SessionPayload"}}},
        }
    },
)
async def webhook(request: Request, state: StateDep) -> dict[str, Any]:
    await run_in_threadpool(_authorize, request)  # before reading a byte of the body
    body = await read_body(request, state.settings.webhook_max_bytes)
    result: dict[str, Any] = await run_in_threadpool(_accept, request, state, body)
    return result

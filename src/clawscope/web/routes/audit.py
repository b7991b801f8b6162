"""Audit routes: the signed receipts of a session, verification of uploaded receipts and spools, the
Merkle log's latest signed checkpoint, and inclusion and consistency proofs (scope `audit:read`).

The routes serve one audit directory (`Settings.audit_root`) verified with one public key
(`Settings.receipt_key_path`); the work is done by `clawscope.audit.api`, which returns plain JSON.
A failure of the server's own audit state (a checkpoint that does not verify with the configured key,
leaves that no longer match it) is a 503 carrying the audit code; bad input is a 4xx.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from clawscope.audit import api
from clawscope.audit.errors import AuditError
from clawscope.audit.jws import KeySet
from clawscope.errors import ClawscopeError
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.state import AppState, StateDep

router = APIRouter(tags=["audit"])
Reader = Annotated[Principal, Depends(require("audit:read"))]
T = TypeVar("T")
MAX_ITEM_CHARS = 8 * 1024 * 1024
MAX_BODY_BYTES = 32 * 1024 * 1024  # a whole upload (items are bounded one by one too)
RID_PATTERN = r"^r_[0-9a-f]{32}$"


class UploadItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # the spec says what is accepted
    name: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="File name (`r_….jws`, `r_….peac.json`, `spool.jsonl`); guessed when absent",
    )
    content: str = Field(
        max_length=MAX_ITEM_CHARS, description="A compact JWS, a `.peac.json` or spool lines"
    )
    checkpoint: str | None = Field(
        None, max_length=64 * 1024, description="For a spool: its signed head (`spool.checkpoint.jws`)"
    )
    workflow: str | None = Field(None, max_length=1024, description="For a spool: its session (workflow) id")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    items: list[UploadItem] = Field(min_length=1, max_length=100)
    public_key: dict[str, Any] | None = Field(
        None, description="A public JWK or JWKS; the server's receipt key when absent"
    )
    allow_unanchored: bool = Field(False, description="Accept spools without a signed head (warning only)")


class VerifyResult(BaseModel):
    path: str
    kind: str
    ok: bool
    code: str | None = None
    message: str | None = None
    rid: str | None = None
    wire: str | None = None
    warnings: list[dict[str, Any]] = []


class VerifyResponse(BaseModel):
    ok: bool
    results: list[VerifyResult]


class ConsistencyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    checkpoint: str = Field(
        min_length=1, max_length=64 * 1024, description="The old signed checkpoint you kept"
    )


def _server_keys(state: AppState) -> KeySet:
    path = state.settings.receipt_key_path
    if not path.exists():
        raise ApiError(503, f"no receipt key configured ({path} does not exist)", code="audit_not_configured")
    try:
        return KeySet.load(path)
    except ClawscopeError as exc:
        raise ApiError(
            503, f"the configured receipt key is unusable: {exc}", code="audit_not_configured"
        ) from None


def _audited(call: Callable[[], T], status: int) -> T:
    """Run an audit function; its verification failures become `status` with their own code."""
    try:
        return call()
    except AuditError as exc:
        raise ApiError(status, str(exc.args[0]), code=exc.code) from None


@router.get(
    "/sessions/{session}/receipts",
    responses=error_responses(404, 503),
    summary="Signed receipts of a session, with its chain state",
)
def session_receipts(
    session: Annotated[str, Path(max_length=1024)], state: StateDep, _p: Reader
) -> dict[str, Any]:
    keys = _server_keys(state)
    return _audited(lambda: api.session_receipts(state.settings.audit_root, session, keys), 503)


@router.post(
    "/receipts/verify",
    response_model=VerifyResponse,
    responses=error_responses(413, 503),
    max_body_size=MAX_BODY_BYTES,
    summary="Verify uploaded receipts and spools",
)
def verify(body: VerifyRequest, state: StateDep, _p: Reader) -> dict[str, Any]:
    if body.public_key is not None:
        try:
            keys = KeySet.from_json(body.public_key, "public_key")
        except ClawscopeError as exc:
            raise ApiError(422, str(exc.args[0]), code=exc.code, param="public_key") from None
    else:
        keys = _server_keys(state)
    items = [item.model_dump() for item in body.items]
    results = api.verify_files(items, keys, int(time.time()), require_checkpoint=not body.allow_unanchored)
    return {"ok": all(r["ok"] for r in results), "results": results}


@router.get(
    "/receipts/keys",
    responses=error_responses(503),
    summary="The public JWKS that verifies the receipts and log checkpoints",
)
def public_keys(state: StateDep, _p: Reader) -> dict[str, Any]:
    return _server_keys(state).jwks()


@router.get(
    "/receipts/checkpoint",
    responses=error_responses(404, 503),
    summary="The latest signed checkpoint of the receipt log",
)
def checkpoint(state: StateDep, _p: Reader) -> dict[str, Any]:
    keys = _server_keys(state)
    return _audited(lambda: api.latest_checkpoint(state.settings.audit_root, keys), 503)


@router.get(
    "/receipts/consistency",
    responses=error_responses(404, 503),
    summary="Consistency proof between two kept checkpoints (by tree size)",
)
def consistency(
    state: StateDep,
    _p: Reader,
    from_size: Annotated[int, Query(alias="from", ge=1, le=2**53, description="Old tree size")],
    to_size: Annotated[
        int | None, Query(alias="to", ge=1, le=2**53, description="New tree size (default: latest)")
    ] = None,
) -> dict[str, Any]:
    keys = _server_keys(state)
    root = state.settings.audit_root
    return _audited(lambda: api.consistency_between(root, from_size, to_size, keys), 422)


@router.post(
    "/receipts/consistency",
    responses=error_responses(404, 503),
    summary="Consistency proof from a checkpoint you kept to the latest",
)
def consistency_from(body: ConsistencyRequest, state: StateDep, _p: Reader) -> dict[str, Any]:
    keys = _server_keys(state)
    return _audited(lambda: api.consistency_proof(state.settings.audit_root, body.checkpoint, keys), 422)


@router.get(
    "/receipts/{rid}/proof",
    responses=error_responses(404, 503),
    summary="Inclusion proof of a receipt against the latest checkpoint",
)
def inclusion(rid: Annotated[str, Path(pattern=RID_PATTERN)], state: StateDep, _p: Reader) -> dict[str, Any]:
    keys = _server_keys(state)
    return _audited(lambda: api.inclusion_proof(state.settings.audit_root, rid, keys), 503)

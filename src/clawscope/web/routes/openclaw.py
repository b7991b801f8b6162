"""Registration of OpenClaw instances and agents (seed 000): `/api/v1/openclaw/instances` and
`/api/v1/openclaw/agents`. Registering and rotating secrets need the `admin` scope: `ingest:write` is
held by every OTLP exporter and sync client, which must not mint webhook secrets; listing (no
secrets) needs `ingest:write`.

An agent's webhook secret is returned once, at registration or rotation; the gateway token of an
instance is never returned (listings say only whether one is stored).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, BaseModel, Field

from clawscope.errors import UsageError
from clawscope.store import AgentReg, Instance, Remote
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.state import AppState, StateDep

router = APIRouter(prefix="/openclaw", tags=["openclaw"])
Writer = Annotated[Principal, Depends(require("ingest:write"))]
Admin = Annotated[Principal, Depends(require("admin"))]


def _plain(value: str) -> str:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("control characters are not allowed")
    return value


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return _plain(value)


_PLAIN = r"^[^\x00-\x1f\x7f]*$"  # the spec states what `_plain` refuses: control characters
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=_PLAIN), AfterValidator(_plain)]
Url = Annotated[
    str,
    Field(min_length=8, max_length=2000, pattern=r"^https?://[^\x00-\x1f\x7f]*$"),
    AfterValidator(_url),
]
Secret = Annotated[str, Field(min_length=1, max_length=4000, pattern=_PLAIN), AfterValidator(_plain)]


class InstanceIn(BaseModel):
    model_config = {"extra": "forbid", "strict": True}
    name: Name
    gateway_url: Url
    api_key: Secret | None = Field(default=None, description="The gateway token; stored encrypted")
    otel_endpoint: Url | None = None
    otel_enabled: bool = False
    ingestion_mode: Literal["full", "trace_only"] = "full"


class AgentIn(BaseModel):
    model_config = {"extra": "forbid", "strict": True}
    instance_id: Name
    agent_key: Name
    agent_name: Name | None = None
    model: Name | None = None


def remote(state: AppState) -> Remote:
    return state.store.remote


def instance_json(i: Instance) -> dict[str, Any]:
    return {
        "id": i.instance_id,
        "instance_id": i.instance_id,
        "name": i.name,
        "gateway_url": i.gateway_url,
        "has_api_key": i.has_gateway_token,
        "otel_endpoint": i.otel_endpoint,
        "otel_enabled": i.otel_enabled,
        "ingestion_mode": i.ingestion_mode,
        "created_ms": i.created_ms,
    }


def agent_json(a: AgentReg) -> dict[str, Any]:
    return {
        "id": a.agent_id,
        "agent_id": a.agent_id,
        "instance_id": a.instance_id,
        "agent_key": a.agent_key,
        "agent_name": a.agent_name,
        "model": a.model,
        "created_ms": a.created_ms,
        "rotated_ms": a.rotated_ms,
    }


@router.post(
    "/instances", status_code=201, summary="Register an OpenClaw instance", responses=error_responses(409)
)
def create_instance(body: InstanceIn, state: StateDep, _p: Admin) -> dict[str, Any]:
    try:
        inst = remote(state).add_instance(
            body.name,
            body.gateway_url,
            body.api_key,
            body.otel_endpoint,
            body.otel_enabled,
            body.ingestion_mode,
        )
    except UsageError as exc:
        raise ApiError(409, str(exc), param="name") from None
    return instance_json(inst)


@router.get("/instances", summary="List registered instances")
def list_instances(state: StateDep, _p: Writer) -> dict[str, Any]:
    return {"data": [instance_json(i) for i in remote(state).instances()]}


@router.post(
    "/agents",
    status_code=201,
    summary="Register an agent; returns its webhook secret once",
    responses=error_responses(404, 409),
)
def create_agent(body: AgentIn, state: StateDep, _p: Admin) -> dict[str, Any]:
    try:
        agent, secret = remote(state).add_agent(body.instance_id, body.agent_key, body.agent_name, body.model)
    except UsageError as exc:
        raise ApiError(409, str(exc), param="agent_key") from None
    return {**agent_json(agent), "webhook_secret": secret}


@router.get("/agents", summary="List registered agents")
def list_agents(
    state: StateDep,
    _p: Writer,
    instance_id: Annotated[str | None, Query(min_length=1, max_length=200, pattern=_PLAIN)] = None,
) -> dict[str, Any]:
    return {"data": [agent_json(a) for a in remote(state).agents(instance_id)]}


@router.post(
    "/agents/{agent_id}/rotate-secret",
    summary="Replace an agent's webhook secret",
    responses=error_responses(404),
)
def rotate_secret(agent_id: str, state: StateDep, _p: Admin) -> dict[str, Any]:
    agent, secret = remote(state).rotate_secret(agent_id)
    return {**agent_json(agent), "webhook_secret": secret}

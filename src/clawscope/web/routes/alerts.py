"""`/api/v1/alerts/…`: alert rules (CRUD, scope `alerts:write`; reading `alerts:read`), what fires now,
the history with every delivery attempt, silences, and "send a test".

A rule is checked by `clawscope.alerts.rules.parse_rule`: an unknown measure, a negative threshold, a
malformed channel URL or a host that does not resolve is a 422 naming the mistake. Channel secrets are
write-only: answers say only whether a channel has one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from clawscope.alerts import manage
from clawscope.alerts.deliver import Deliverer
from clawscope.errors import UsageError
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.state import StateDep

router = APIRouter(prefix="/alerts", tags=["alerts"])
Reader = Annotated[Principal, Depends(require("alerts:read"))]
Writer = Annotated[Principal, Depends(require("alerts:write"))]
TEST_TIMEOUT_S = 5.0


class ChannelIn(BaseModel):
    model_config = {"extra": "forbid"}
    kind: Literal["webhook", "slack", "discord", "telegram", "ntfy", "email", "alertmanager"]
    url: str = Field(max_length=2000, description="The channel's base URL (every channel's is configurable)")
    secret: str | None = Field(default=None, max_length=4000, description="Stored encrypted; never returned")
    options: dict[str, str | int | bool] = Field(default_factory=dict)
    id: str | None = Field(default=None, max_length=64)


class RuleIn(BaseModel):
    """An alert rule (see the README's "Alerts and budgets" for what each field means per type)."""

    model_config = {"extra": "forbid"}
    name: str = Field(max_length=200)
    type: Literal["threshold", "budget", "anomaly", "finding"] = "threshold"
    id: str | None = Field(default=None, max_length=64)
    enabled: bool = True
    severity: Literal["info", "warning", "critical"] = "warning"
    scope: dict[str, str] = Field(default_factory=dict)
    measure: str | None = None
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float | None = None
    window: str = "24h"
    period: Literal["day", "week", "month"] = "month"
    amount: float | None = None
    forecast: bool = True
    z: float = 3.5
    hours: int = 6
    baseline_days: int = 7
    min_value: float = 0.0
    families: list[str] = Field(default_factory=list)
    min_severity: Literal["info", "warning", "critical"] = "warning"
    cooldown_s: int = 3600
    resolve_notice: bool = True
    digest: bool = False
    digest_hour: int = 8
    abort_session: bool = Field(
        default=False,
        description="Also ask the session's OpenClaw gateway to abort it (chat.abort) when a per-session "
        "alert fires (session_cost, session_tokens, finding rules); off by default",
    )
    channels: list[ChannelIn] = Field(default_factory=list, max_length=20)


class SilenceIn(BaseModel):
    model_config = {"extra": "forbid"}
    rule_id: str | None = Field(default=None, description="None: every rule")
    scope: str | None = Field(default=None, description="None: every scope of the rule")
    until_ms: int = Field(gt=0, lt=2**53, description="When the silence ends (ms since the epoch)")
    reason: str | None = Field(default=None, max_length=500)


def _checked(raw: dict[str, Any], state: StateDep) -> dict[str, Any]:
    try:
        return manage.add_rule(state.store, raw)
    except UsageError as exc:
        # what a rule means (a threshold rule needs a threshold, a known measure, a reachable host…)
        # is checked by the rules, not by the schema: its own code says so
        raise ApiError(422, str(exc), code="invalid_rule", param="rule") from None


def _raw(body: RuleIn) -> dict[str, Any]:
    raw = body.model_dump(exclude_none=True)
    raw["channels"] = [c.model_dump(exclude_none=True) for c in body.channels]
    return raw


@router.get("/rules", summary="List alert rules, with what fires now")
def list_rules(state: StateDep, _p: Reader) -> dict[str, Any]:
    return {"data": manage.list_rules(state.store)}


@router.post("/rules", status_code=201, summary="Create an alert rule", responses=error_responses(409, 422))
def create_rule(body: RuleIn, state: StateDep, _p: Writer) -> dict[str, Any]:
    if body.id is not None and state.store.alert_rules.get(body.id) is not None:
        raise ApiError(409, f"an alert rule {body.id!r} exists (PUT replaces it)", param="id")
    return _checked(_raw(body), state)


@router.get("/rules/{rule_id}", summary="One alert rule", responses=error_responses(404))
def get_rule(rule_id: str, state: StateDep, _p: Reader) -> dict[str, Any]:
    return manage.get_rule(state.store, rule_id)


@router.put("/rules/{rule_id}", summary="Replace an alert rule", responses=error_responses(404, 422))
def replace_rule(rule_id: str, body: RuleIn, state: StateDep, _p: Writer) -> dict[str, Any]:
    manage.get_rule(state.store, rule_id)
    return _checked({**_raw(body), "id": rule_id}, state)


@router.delete(
    "/rules/{rule_id}", status_code=204, summary="Remove an alert rule", responses=error_responses(404)
)
def delete_rule(rule_id: str, state: StateDep, _p: Writer) -> Response:
    manage.remove_rule(state.store, rule_id)
    return Response(status_code=204)


@router.post(
    "/rules/{rule_id}/test",
    summary="Send a test notice to the rule's channels now; the deliveries and their attempts",
    responses=error_responses(404),
)
def send_test(rule_id: str, state: StateDep, _p: Writer) -> dict[str, Any]:
    with Deliverer(state.store, timeout_s=TEST_TIMEOUT_S) as deliverer:
        return manage.send_test_notice(state.store, rule_id, deliverer)


@router.get("/firing", summary="What fires now (rule and scope)")
def firing(state: StateDep, _p: Reader) -> dict[str, Any]:
    return {"data": manage.firing(state.store)}


@router.get("/history", summary="Alerts and notices, newest first, with every delivery attempt")
def history(
    state: StateDep,
    _p: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    rule_id: str | None = None,
) -> dict[str, Any]:
    return {"data": manage.history(state.store, limit, rule_id)}


@router.get("/silences", summary="Active silences")
def silences(state: StateDep, _p: Reader) -> dict[str, Any]:
    found = state.store.alert_rules.silences(active_at=state.store.clock())
    return {"data": [s.__dict__ for s in found]}


@router.post(
    "/silences", status_code=201, summary="Mute a rule or scope until a time", responses=error_responses(404)
)
def add_silence(body: SilenceIn, state: StateDep, _p: Writer) -> dict[str, Any]:
    sid = manage.silence(state.store, body.rule_id, body.scope, body.until_ms, body.reason)
    return {"silence_id": sid, **body.model_dump()}


@router.delete(
    "/silences/{silence_id}", status_code=204, summary="End a silence", responses=error_responses(404)
)
def delete_silence(silence_id: str, state: StateDep, _p: Writer) -> Response:
    if not state.store.alert_rules.unsilence(silence_id):
        raise ApiError(404, f"no silence {silence_id!r}", param="silence_id")
    return Response(status_code=204)

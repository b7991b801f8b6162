"""`POST /api/v1/auth/token`: exchange an API key for a short-lived JWT (as Pisama's API does)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from clawscope.web.auth import issue_token
from clawscope.web.errors import ApiError, error_responses
from clawscope.web.state import StateDep

router = APIRouter(tags=["auth"])


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    api_key: str = Field(min_length=1, max_length=512, description="A clawscope API key (`cs_…`)")


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scopes: list[str]


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses=error_responses(401),
    summary="Exchange an API key for a JWT",
)
def token(body: TokenRequest, state: StateDep) -> dict[str, Any]:
    key = state.store.keys.verify(body.api_key)
    if key is None:
        raise ApiError(401, "invalid or revoked API key", code="invalid_api_key", param="api_key")
    access, ttl = issue_token(state, key)
    return {"access_token": access, "token_type": "bearer", "expires_in": ttl, "scopes": list(key.scopes)}

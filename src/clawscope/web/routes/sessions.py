"""`/api/v1/sessions`: filtered, cursor-paginated sessions; one session, its history and its spawn
tree; and deletion from clawscope (never from OpenClaw)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from clawscope.analytics import browse
from clawscope.errors import UsageError
from clawscope.model import SessionQuery
from clawscope.web import api_models as m
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError
from clawscope.web.params import TEXT as _TEXT
from clawscope.web.params import TIME, WHEN, when
from clawscope.web.state import StateDep

router = APIRouter(tags=["sessions"])
Reader = Annotated[Principal, Depends(require("sessions:read"))]
Deleter = Annotated[Principal, Depends(require("sessions:delete"))]
SessionId = Annotated[
    str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]*$", description="OpenClaw's session id")
]


@router.get("/sessions", response_model=m.SessionPage, responses=m.error_responses(), summary="List sessions")
def list_sessions(
    state: StateDep,
    _p: Reader,
    agent: Annotated[str | None, Query(**_TEXT)] = None,
    kind: Annotated[str | None, Query(**_TEXT)] = None,
    channel: Annotated[str | None, Query(**_TEXT)] = None,
    model: Annotated[str | None, Query(**_TEXT)] = None,
    from_: Annotated[
        str | None, Query(alias="from", description=f"active at or after ({WHEN})", **TIME)
    ] = None,
    to: Annotated[str | None, Query(description=f"active before ({WHEN})", **TIME)] = None,
    min_cost: Annotated[
        float | None, Query(alias="minCost", ge=0, le=1e12, description="reported + estimated USD")
    ] = None,
    has_errors: Annotated[bool | None, Query(alias="hasErrors")] = None,
    sort: Literal["recent", "oldest", "cost", "calls"] = "recent",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="nextCursor of the previous page")
    ] = None,
) -> dict[str, Any]:
    query = SessionQuery(
        agent=agent,
        kind=kind,
        channel=channel,
        model=model,
        since_ms=when(from_, "from"),
        until_ms=when(to, "to"),
        min_cost=min_cost,
        has_errors=has_errors,
        sort=sort,
    )
    try:
        return browse.page(state.store, query, limit, cursor)
    except UsageError as exc:
        raise ApiError(422, str(exc), code="invalid_cursor", param="cursor") from None


@router.get(
    "/sessions/{session_id}",
    response_model=m.SessionDetail,
    responses=m.error_responses(404),
    summary="One session",
)
def get_session(state: StateDep, _p: Reader, session_id: SessionId) -> dict[str, Any]:
    return browse.session(state.store, session_id)


@router.get(
    "/sessions/{session_id}/history",
    response_model=None,
    responses={200: {"model": m.HistoryPage, "description": "Entries in order"}, **m.error_responses(404)},
    summary="A session's entries in order, with model calls and tool calls joined",
)
def history(
    state: StateDep,
    _p: Reader,
    session_id: SessionId,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Response:
    # Built by the analytics layer in the HistoryPage shape, raw records spliced in as stored: a
    # 5,000-entry page would spend most of its time parsing, validating and re-encoding otherwise.
    body = browse.history_json(state.store, session_id, limit, offset)
    return Response(body, media_type="application/json")


@router.get(
    "/sessions/{session_id}/tree",
    response_model=m.TreeNode,
    responses=m.error_responses(404),
    summary="The spawn tree under a session, with costs rolled up over each subtree",
)
def tree(state: StateDep, _p: Reader, session_id: SessionId) -> dict[str, Any]:
    return browse.tree(state.store, session_id)


@router.delete(
    "/sessions/{session_id}",
    response_model=m.Deleted,
    responses=m.error_responses(404),
    summary="Remove a session from clawscope (not from OpenClaw); re-ingest will not bring it back",
)
def delete_session(state: StateDep, _p: Deleter, session_id: SessionId) -> dict[str, Any]:
    browse.delete(state.store, session_id)
    return {"sessionId": session_id, "deleted": True}

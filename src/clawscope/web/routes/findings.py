"""`/api/v1/findings`: the failure detectors' findings, filtered and cursor-paginated (newest first), and
`/api/v1/sessions/{id}/findings`: one session's, in time order. Scope `sessions:read`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from clawscope.detect import queries
from clawscope.errors import UsageError
from clawscope.store import FindingQuery
from clawscope.web import api_models as m
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError
from clawscope.web.params import TEXT as _TEXT
from clawscope.web.params import TIME as _TIME
from clawscope.web.params import WHEN, when
from clawscope.web.state import StateDep

router = APIRouter(tags=["findings"])
Reader = Annotated[Principal, Depends(require("sessions:read"))]
Family = Literal[
    "loop",
    "tool_abuse",
    "elevated_risk",
    "spawn_depth",
    "channel_mismatch",
    "sandbox_escape",
    "coordination_failure",
    "persona_drift",
    "hallucination",
    "context_overflow",
    "prompt_injection",
]
Severity = Literal["info", "warning", "critical"]
Status = Literal["open", "resolved", "all"]


@router.get("/findings", response_model=m.FindingPage, responses=m.error_responses(), summary="List findings")
def list_findings(
    state: StateDep,
    _p: Reader,
    family: Family | None = None,
    severity: Severity | None = None,
    min_severity: Annotated[
        Severity | None, Query(alias="minSeverity", description="this severity or a higher one")
    ] = None,
    agent: Annotated[str | None, Query(**_TEXT)] = None,
    session: Annotated[str | None, Query(description="a session id", **_TEXT)] = None,
    status: Annotated[Status, Query(description="open (default), resolved or all")] = "open",
    from_: Annotated[
        str | None, Query(alias="from", description=f"last seen at or after ({WHEN})", **_TIME)
    ] = None,
    to: Annotated[str | None, Query(description=f"last seen before ({WHEN})", **_TIME)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="nextCursor of the previous page")
    ] = None,
) -> dict[str, Any]:
    query = FindingQuery(
        family=family,
        severity=severity,
        min_severity=min_severity,
        agent=agent,
        session_id=session,
        status=None if status == "all" else status,
        since_ms=when(from_, "from"),
        until_ms=when(to, "to"),
    )
    try:
        return queries.page(state.store, query, limit, cursor)
    except UsageError as exc:
        raise ApiError(422, str(exc), code="invalid_cursor", param="cursor") from None


@router.get(
    "/sessions/{session_id}/findings",
    response_model=m.SessionFindings,
    responses=m.error_responses(404),
    summary="A session's findings in time order (the entries each cites are in its entryIds)",
)
def session_findings(
    state: StateDep,
    _p: Reader,
    session_id: Annotated[
        str, Path(min_length=1, max_length=200, pattern=r"^[^\x00]*$", description="OpenClaw's session id")
    ],
    status: Annotated[Status, Query(description="open, resolved or all (default)")] = "all",
) -> dict[str, Any]:
    return queries.of_session(state.store, session_id, None if status == "all" else status)

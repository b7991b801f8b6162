"""`GET /api/v1/stats*`: totals, groups, tools, session costs, comparison, forecast, reconciliation.

Every number comes from `clawscope.analytics`, the same functions as `clawscope stats`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from clawscope.analytics import reports
from clawscope.model import Filters
from clawscope.timeutil import now_ms
from clawscope.web import api_models as m
from clawscope.web.auth import Principal, require
from clawscope.web.errors import ApiError
from clawscope.web.params import TEXT as _TEXT
from clawscope.web.params import TIME, WHEN, when
from clawscope.web.state import StateDep

YEAR_1_MS = -62_135_596_800_000  # 0001-01-01T00:00Z: the first instant a date can name
router = APIRouter(tags=["stats"])
Reader = Annotated[Principal, Depends(require("stats:read"))]
_ERRORS = m.error_responses()
HOUR_MS = 3_600_000
WEEK_MS = 7 * 86_400_000


def filters(
    from_: Annotated[str | None, Query(alias="from", description=WHEN, **TIME)] = None,
    to: Annotated[str | None, Query(description=f"{WHEN}; exclusive", **TIME)] = None,
    agent: Annotated[str | None, Query(**_TEXT)] = None,
    kind: Annotated[str | None, Query(description="session kind (main, cron, heartbeat, …)", **_TEXT)] = None,
    channel: Annotated[str | None, Query(**_TEXT)] = None,
) -> Filters:
    since, until = when(from_, "from"), when(to, "to")
    if since is not None and until is not None and since >= until:
        raise ApiError(422, "from must be before to", code="invalid_range", param="from")
    return Filters(since_ms=since, until_ms=until, agent=agent, kind=kind, channel=channel)


FiltersDep = Annotated[Filters, Depends(filters)]
Top = Annotated[int, Query(ge=1, le=100, description="how many to list")]


@router.get(
    "/stats", response_model=m.StatsResponse, responses=_ERRORS, summary="Totals and days of a period"
)
def stats(state: StateDep, _p: Reader, f: FiltersDep) -> dict[str, Any]:
    return reports.overview(state.store, f)


def _group_route(path: str, by: str, summary: str) -> None:
    def route(state: StateDep, _p: Reader, f: FiltersDep) -> dict[str, Any]:
        return reports.by_dimension(state.store, f, by)

    route.__name__ = f"stats_{by}"
    router.get(path, response_model=m.GroupsResponse, responses=_ERRORS, summary=summary)(route)


_group_route("/stats/models", "model", "Totals per model")
_group_route("/stats/providers", "provider", "Totals per provider")
_group_route("/stats/agents", "agent", "Totals per agent")
_group_route("/stats/kinds", "kind", "Totals per session kind")
_group_route("/stats/triggers", "trigger", "Totals per trigger (main, channel, heartbeat, cron, …)")
_group_route("/stats/channels", "channel", "Totals per channel")
_group_route("/stats/hours", "hour", "Totals per UTC hour")
_group_route("/stats/days", "day", "Totals per UTC day")
_group_route("/stats/months", "month", "Totals per UTC month")


@router.get(
    "/stats/tools", response_model=m.ToolsResponse, responses=_ERRORS, summary="Tool calls, errors, durations"
)
def tools(state: StateDep, _p: Reader, f: FiltersDep, top: Top = 10) -> dict[str, Any]:
    return reports.tools(state.store, f, top)


@router.get(
    "/stats/sessions",
    response_model=m.SessionsStatsResponse,
    responses=_ERRORS,
    summary="Session cost statistics, costliest sessions, context use",
)
def sessions(state: StateDep, _p: Reader, f: FiltersDep, top: Top = 10) -> dict[str, Any]:
    return reports.sessions_report(state.store, f, top)


@router.get(
    "/stats/compare",
    response_model=m.CompareResponse,
    responses=_ERRORS,
    summary="This period against the one before it (default: the last 7 days)",
)
def compare(state: StateDep, _p: Reader, f: FiltersDep) -> dict[str, Any]:
    until = f.until_ms if f.until_ms is not None else now_ms() // HOUR_MS * HOUR_MS
    since = f.since_ms if f.since_ms is not None else until - WEEK_MS
    if since >= until:
        raise ApiError(422, "from must be before to", code="invalid_range", param="from")
    if since - (until - since) < YEAR_1_MS:
        raise ApiError(
            422, "the period before this one would start before year 1", code="invalid_range", param="from"
        )
    return reports.compare_periods(state.store, Filters(since, until, f.agent, f.kind, f.channel))


@router.get(
    "/stats/forecast",
    response_model=m.ForecastResponse,
    responses=_ERRORS,
    summary="Month-end cost forecast, with its method and a 95% interval",
)
def forecast(
    state: StateDep,
    _p: Reader,
    at: Annotated[str | None, Query(description=f"as of ({WHEN}); default now", **TIME)] = None,
    agent: Annotated[str | None, Query(**_TEXT)] = None,
    kind: Annotated[str | None, Query(**_TEXT)] = None,
    channel: Annotated[str | None, Query(**_TEXT)] = None,
) -> dict[str, Any]:
    at_ms = when(at, "at")
    at_ms = now_ms() if at_ms is None else at_ms
    if at_ms < 0:
        raise ApiError(422, "at must be after 1970", code="invalid_range", param="at")
    return reports.month_forecast(state.store, Filters(agent=agent, kind=kind, channel=channel), at_ms)


@router.get(
    "/stats/reconciliation",
    response_model=m.ReconciliationResponse,
    responses=_ERRORS,
    summary="Reported vs re-priced cost per model",
)
def reconciliation(state: StateDep, _p: Reader, f: FiltersDep) -> dict[str, Any]:
    return reports.reconciliation(state.store, f)

"""CSV and JSON downloads of the dashboard's tables: `/download/<table>.csv|json?<the page's query>`.

Each table's rows are computed by the same function the page uses (so a download holds what the page
shows, every page of it), and written by the one CSV writer (`exports.csvout`, shared with `clawscope
export` and the CLI's `--format csv`); JSON is the rows as the API returns them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from clawscope import analytics
from clawscope.analytics import browse, reports
from clawscope.analytics import health as ingest_health
from clawscope.detect import queries as findings_q
from clawscope.errors import NotFoundError
from clawscope.exports import csvout
from clawscope.timeutil import now_ms
from clawscope.web.dashboard import alerts_data, data
from clawscope.web.dashboard.pages import _guard, _period, findings_query
from clawscope.web.dashboard.period import Period
from clawscope.web.state import AppState, StateDep

router = APIRouter(include_in_schema=False)
Rows = Callable[[AppState, Period, dict[str, str]], list[dict[str, Any]]]


def _sessions(state: AppState, period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
    sort = qp.get("sort") if qp.get("sort") in data.SESSION_SORTS else "last"
    eq = {k: qp.get(k) or None for k in data.SESSION_FILTERS}
    return data.sessions(state.store, period, qp.get("q", ""), str(sort), qp.get("dir") != "asc", eq)


def _grouped(by: str) -> Rows:
    def rows(state: AppState, period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
        if by == "tool":
            return list(analytics.stats(state.store, period.filters(), by)["groups"])
        return list(reports.by_dimension(state.store, period.filters(), by)["groups"])  # as /api/v1/stats/…

    return rows


def _timeline(state: AppState, period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
    unit = qp.get("unit") if qp.get("unit") in ("hour", "day", "month") else "day"
    return list(reports.by_dimension(state.store, period.filters(), str(unit))["groups"])  # /stats/days


def _top_sessions(state: AppState, period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
    return data.overview_top(state.store, period)


def _comparison(state: AppState, period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
    return data.comparison(state.store, period, now_ms())


def _failures(state: AppState, period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
    return list(data.tools(state.store, period)["failures"])


def _session_models(state: AppState, _period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
    return list(browse.session(state.store, qp.get("session", ""))["models"])  # GET /api/v1/sessions/{id}


def _findings(part: str) -> Rows:
    def rows(state: AppState, period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
        _eq, _shown, query = findings_query(period, qp)
        return list(findings_q.dashboard(state.store, query)[part])

    return rows


def _sources(state: AppState, _period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
    return ingest_health.sources(state.store, state.serving.state_dirs)


def _problems(state: AppState, _period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
    return list(ingest_health.problems_by_code(state.store, state.ingest.started_ms)["codes"])


def _alerts(part: str) -> Rows:
    return lambda state, _period, _qp: list(alerts_data.overview(state.store)[part])


TABLES: dict[str, tuple[Rows, str]] = {  # the rows, and the scope they need
    "sessions": (_sessions, "sessions:read"),
    "timeline": (_timeline, "stats:read"),
    "models": (_grouped("model"), "stats:read"),
    "providers": (_grouped("provider"), "stats:read"),
    "triggers": (_grouped("trigger"), "stats:read"),
    "tools": (_grouped("tool"), "stats:read"),
    "agents": (lambda state, period, _qp: data.agents(state.store, period), "stats:read"),
    "top-sessions": (_top_sessions, "stats:read"),
    "comparison": (_comparison, "stats:read"),
    "failures": (_failures, "sessions:read"),  # error texts are tool output
    "session-models": (_session_models, "sessions:read"),
    "findings": (_findings("findings"), "sessions:read"),
    "findings-days": (_findings("byDay"), "sessions:read"),
    "sources": (_sources, "stats:read"),
    "problems": (_problems, "sessions:read"),  # reasons may quote transcript content
    "alert-rules": (_alerts("rules"), "alerts:read"),
    "alerts-firing": (_alerts("firing"), "alerts:read"),
    "alert-history": (_alerts("history"), "alerts:read"),
}


@router.get("/download/{name}")
def download(request: Request, state: StateDep, name: str) -> Response:
    table, _, fmt = name.rpartition(".")
    if table not in TABLES or fmt not in ("csv", "json"):
        return PlainTextResponse(f"no table {name!r}: use one of {', '.join(TABLES)} as .csv or .json", 404)
    rows_of, scope = TABLES[table]
    if (r := _guard(request, state, scope)) is not None:
        return r
    try:
        rows = rows_of(state, _period(request), dict(request.query_params))
    except NotFoundError as exc:
        return PlainTextResponse(str(exc), 404)
    headers = {"Content-Disposition": f'attachment; filename="clawscope-{table}.{fmt}"'}
    if fmt == "json":
        return Response(orjson.dumps(rows), media_type="application/json", headers=headers)
    columns = list(rows[0]) if rows else []
    body = "".join(csvout.lines(rows, columns))
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

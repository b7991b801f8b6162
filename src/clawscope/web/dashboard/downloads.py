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
from clawscope.analytics import reports
from clawscope.exports import csvout
from clawscope.store import Store
from clawscope.web.dashboard import data
from clawscope.web.dashboard.pages import _guard, _period
from clawscope.web.dashboard.period import Period
from clawscope.web.state import StateDep

router = APIRouter(include_in_schema=False)
Rows = Callable[[Store, Period, dict[str, str]], list[dict[str, Any]]]


def _sessions(store: Store, period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
    sort = qp.get("sort") if qp.get("sort") in data.SESSION_SORTS else "last"
    eq = {k: qp.get(k) or None for k in data.SESSION_FILTERS}
    return data.sessions(store, period, qp.get("q", ""), str(sort), qp.get("dir") != "asc", eq)


def _grouped(by: str) -> Rows:
    def rows(store: Store, period: Period, _qp: dict[str, str]) -> list[dict[str, Any]]:
        if by == "tool":
            return list(analytics.stats(store, period.filters(), by)["groups"])
        return list(reports.by_dimension(store, period.filters(), by)["groups"])  # as /api/v1/stats/…

    return rows


def _timeline(store: Store, period: Period, qp: dict[str, str]) -> list[dict[str, Any]]:
    unit = qp.get("unit") if qp.get("unit") in ("hour", "day", "month") else "day"
    return list(reports.by_dimension(store, period.filters(), str(unit))["groups"])  # /api/v1/stats/days


TABLES: dict[str, tuple[Rows, str]] = {  # the rows, and the scope they need
    "sessions": (_sessions, "sessions:read"),
    "timeline": (_timeline, "stats:read"),
    "models": (_grouped("model"), "stats:read"),
    "providers": (_grouped("provider"), "stats:read"),
    "triggers": (_grouped("trigger"), "stats:read"),
    "tools": (_grouped("tool"), "stats:read"),
    "agents": (lambda store, period, _qp: data.agents(store, period), "stats:read"),
}


@router.get("/download/{name}")
def download(request: Request, state: StateDep, name: str) -> Response:
    table, _, fmt = name.rpartition(".")
    if table not in TABLES or fmt not in ("csv", "json"):
        return PlainTextResponse(f"no table {name!r}: use one of {', '.join(TABLES)} as .csv or .json", 404)
    rows_of, scope = TABLES[table]
    if (r := _guard(request, state, scope)) is not None:
        return r
    rows = rows_of(state.store, _period(request), dict(request.query_params))
    headers = {"Content-Disposition": f'attachment; filename="clawscope-{table}.{fmt}"'}
    if fmt == "json":
        return Response(orjson.dumps(rows), media_type="application/json", headers=headers)
    columns = list(rows[0]) if rows else []
    body = "".join(csvout.lines(rows, columns))
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

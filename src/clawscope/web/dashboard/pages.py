"""The dashboard's routes: one plain `def` per page (they query the database, so they run in the
threadpool), each a thin call into `data` and a template; sign-in guards them unless auth is off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from clawscope import analytics
from clawscope.detect import queries as findings_q
from clawscope.detect.judge.status import judge_status
from clawscope.model.detection import FAMILIES
from clawscope.store import FindingQuery
from clawscope.timeutil import now_ms, parse_iso_ms
from clawscope.web.auth import SESSION_COOKIE
from clawscope.web.body import read_raw
from clawscope.web.dashboard import alerts_data, chartdata, charts, data, login
from clawscope.web.dashboard.period import Period, parse_period
from clawscope.web.dashboard.render import num, page, usd
from clawscope.web.state import AppState, StateDep

router = APIRouter(include_in_schema=False)
LOGIN_MAX_BYTES = 16 * 1024  # a login form is an API key and a path
Q = Annotated[str | None, Query()]


def _period(request: Request) -> Period:
    qp = request.query_params
    return parse_period(qp.get("range"), qp.get("from"), qp.get("to"), now_ms())


def _guard(request: Request, state: AppState, scope: str = "stats:read") -> Response | None:
    """None when the visitor may see a page needing `scope`; else the way to sign in, or a 403 when
    signed in with a key that lacks it (transcripts need `sessions:read`, as in the API)."""
    if state.settings.no_auth:
        return None
    principal = login.signed_in(request, state)
    if principal is not None and principal.allows(scope):
        return None
    if principal is not None:
        return PlainTextResponse(f"This key lacks the scope {scope!r} this page needs.", status_code=403)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _cross_site(request: Request) -> Response | None:
    """A 403 for a form posted from another site. Under `--no-auth` no cookie stands between a page the
    user visits and a dashboard form (a rule whose webhook points elsewhere would send data off the
    machine), so browsers' `Sec-Fetch-Site` and `Origin` are checked on every dashboard POST."""
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    foreign = site not in (None, "same-origin", "none")
    if origin is not None and not foreign:
        host = request.headers.get("host", "")
        foreign = origin == "null" or origin.split("://", 1)[-1] != host
    if foreign:
        return PlainTextResponse(
            "A dashboard form must be posted from the dashboard itself.", status_code=403
        )
    return None


def _may_read_sessions(request: Request, state: AppState) -> bool:
    if state.settings.no_auth:
        return True
    principal = login.signed_in(request, state)
    return principal is not None and principal.allows("sessions:read")


@router.get("/")
def overview(request: Request, state: StateDep) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    d = data.overview(state.store, period, now_ms())
    trig = [(g["key"], g["costUSD"]) for g in d["byTrigger"]]
    found = findings_q.counts(state.store, _finding_query(period, "open"))
    doc = chartdata.stacked(state.store, period.filters(), "day", "trigger", "cost", now_ms())
    return page(
        request,
        state,
        "overview.html",
        period,
        d=d,
        trigger_chart=charts.donut(trig, usd, link=_sessions_link(period, "trigger")),
        cost_chart=charts.interactive(doc, "cost-by-trigger"),
        findings=found,
    )


def _sessions_link(period: Period, key: str) -> Callable[[str], str]:
    """Where a bar or slice of `key` = value leads: the Sessions page filtered to it, in this period."""

    def link(value: str) -> str:
        q = period.query()
        return f"/sessions?{q + '&' if q else ''}{urlencode({key: value})}"

    return link


def _finding_query(
    period: Period,
    status: str | None,
    family: str | None = None,
    severity: str | None = None,
    agent: str | None = None,
) -> FindingQuery:
    return FindingQuery(
        family=family,
        severity=severity,
        agent=agent,
        status=status,
        since_ms=period.since_ms,
        until_ms=period.until_ms,
    )


SEVERITIES = ("critical", "warning", "info")


@router.get("/findings")
def findings(request: Request, state: StateDep) -> Response:
    """?family=&severity=&agent=&status= (see `findings_query`)."""
    if (r := _guard(request, state, "sessions:read")) is not None:  # messages quote transcripts
        return r
    period = _period(request)
    eq, shown, query = findings_query(period, dict(request.query_params))
    d = findings_q.dashboard(state.store, query)
    fams = sorted(d["byFamily"].items(), key=lambda kv: -kv[1])
    judge = judge_status(state.settings.judge, state.store)
    return page(
        request,
        state,
        "findings.html",
        period,
        d=d,
        eq=eq,
        shown=shown,
        families=FAMILIES,
        severities=SEVERITIES,
        by_family=charts.bars(fams, num),
        by_day=charts.columns([(x["day"], x["total"]) for x in d["byDay"]], num),
        judge=judge,
    )


def findings_query(period: Period, qp: dict[str, str]) -> tuple[dict[str, str | None], str, FindingQuery]:
    """The Findings page's filters from its URL (also its downloads'): the filters, the status shown,
    and the query."""
    eq = {
        "family": qp.get("family") if qp.get("family") in FAMILIES else None,
        "severity": qp.get("severity") if qp.get("severity") in SEVERITIES else None,
        "agent": qp.get("agent") or None,
    }
    shown = str(qp.get("status")) if qp.get("status") in ("open", "resolved", "all") else "open"
    return eq, shown, _finding_query(period, None if shown == "all" else shown, **eq)


MEASURES = ("cost", "tokens", "calls")


@router.get("/timeline")
def timeline(request: Request, state: StateDep, unit: Q = None, stack: Q = None) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    unit = unit if unit in ("hour", "day", "month") else "day"
    stack = stack if stack in chartdata.STACKS else "model"
    stats = data.timeline(state.store, period, unit)
    now = now_ms()
    grain = "hour" if unit == "hour" else "day"  # a month's chart shows its days
    docs = chartdata.stacked_many(state.store, period.filters(), grain, stack, MEASURES, now)
    chart = {m: charts.interactive(docs[m], m) for m in MEASURES}
    return page(
        request, state, "timeline.html", period, unit=unit, stack=stack, stacks=chartdata.STACKS,
        stats=stats, chart=chart,
    )  # fmt: skip


@router.get("/models")
def models(request: Request, state: StateDep) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    d = data.models(state.store, period)
    top = d["models"][:15]
    to_model = _sessions_link(period, "model")
    links = [to_model(str(g["key"])) for g in top]
    bars = charts.bars([(f"{g['key']}", g["costUSD"]) for g in top], usd, links=links)
    share = charts.donut(
        [(g["key"], g["costUSD"]) for g in d["providers"]], usd, link=_sessions_link(period, "provider")
    )
    tok = charts.donut([(g["key"], g["totalTokens"]) for g in d["models"]], num, link=to_model)
    return page(request, state, "models.html", period, d=d, bars=bars, share=share, tok=tok)


@router.get("/tools")
def tools(request: Request, state: StateDep) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    d = data.tools(state.store, period)
    if not _may_read_sessions(request, state):  # error texts are tool output: transcript content
        d["failures"] = []
    top = d["tools"][:15]
    to_tool = _sessions_link(period, "tool")
    bars = charts.bars([(g["key"], g["toolCalls"]) for g in top], num, links=[to_tool(g["key"]) for g in top])
    return page(request, state, "tools.html", period, d=d, bars=bars)


@router.get("/agents")
def agents(request: Request, state: StateDep) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    rows = data.agents(state.store, period)
    to_agent = _sessions_link(period, "agent")
    bars = charts.bars(
        [(g["key"], g["costUSD"]) for g in rows], usd, links=[to_agent(g["key"]) for g in rows]
    )
    return page(request, state, "agents.html", period, rows=rows, bars=bars)


@router.get("/forecast")
def forecast(request: Request, state: StateDep, at: Q = None) -> Response:
    if (r := _guard(request, state)) is not None:
        return r
    period = _period(request)
    try:  # as of (as the API's `at`): a past month's forecast, or a test's fixed "now"
        at_ms = parse_iso_ms(at) if at else None
    except ValueError:
        return PlainTextResponse(f"invalid at {at!r}: use an ISO date or datetime", status_code=400)
    f = data.forecast(state.store, now_ms() if at_ms is None else at_ms)
    return page(request, state, "forecast.html", period, f=f, chart=charts.columns(f["history"], usd))


@router.get("/alerts")
def alerts_page(request: Request, state: StateDep) -> Response:
    if (r := _guard(request, state, "alerts:read")) is not None:
        return r
    return _alerts(request, state, None, {}, 200)


def _alerts(
    request: Request, state: AppState, error: str | None, form: dict[str, str], status: int
) -> Response:
    d = alerts_data.overview(state.store)
    notice = request.query_params.get("notice")
    return page(request, state, "alerts.html", _period(request), **d, error=error, form=form, notice=notice,
                status=status, measures=alerts_data.MEASURES, kinds=alerts_data.CHANNEL_KINDS)  # fmt: skip


@router.post("/alerts/rules")
async def alerts_add(request: Request, state: StateDep) -> Response:
    if (r := _cross_site(request) or _guard(request, state, "alerts:write")) is not None:
        return r
    raw = parse_qs((await read_raw(request, LOGIN_MAX_BYTES)).decode("utf-8", "replace"))
    form = {k: v[0].strip() for k, v in raw.items() if v}
    error = await run_in_threadpool(alerts_data.add_rule, state.store, form)
    if error is not None:
        return await run_in_threadpool(_alerts, request, state, error, form, 422)
    return RedirectResponse("/alerts?notice=created", status_code=303)


@router.post("/alerts/rules/{rule_id}/test")
def alerts_test(rule_id: str, request: Request, state: StateDep) -> Response:
    if (r := _cross_site(request) or _guard(request, state, "alerts:write")) is not None:
        return r
    alerts_data.send_test(state.store, rule_id)
    return RedirectResponse("/alerts?notice=test-sent", status_code=303)


@router.get("/login")
def login_page(request: Request, state: StateDep, token: Q = None, next: Q = None) -> Response:
    target = login.safe_next(next)
    secure = request.url.scheme == "https"
    if state.settings.no_auth:
        return RedirectResponse(target, status_code=303)
    if token:
        if login.redeem(state, token):
            return login.with_session(
                RedirectResponse(target, 303), state, login.dashboard_key(state), secure
            )
        return page(
            request,
            state,
            "login.html",
            _period(request),
            next=target,
            error="This login link was already used or is invalid.",
            status=401,
            live="off",
        )
    return page(request, state, "login.html", _period(request), next=target, error=None, live="off")


@router.post("/login")
async def login_submit(request: Request, state: StateDep) -> Response:
    form = parse_qs((await read_raw(request, LOGIN_MAX_BYTES)).decode("utf-8", "replace"))
    key_text = (form.get("api_key") or [""])[0].strip()
    target = login.safe_next((form.get("next") or ["/"])[0])
    key = await run_in_threadpool(state.store.keys.verify, key_text) if key_text else None
    if key is None or not ("admin" in key.scopes or "stats:read" in key.scopes):
        return page(
            request,
            state,
            "login.html",
            _period(request),
            next=target,
            error="That API key is not valid (it needs stats:read).",
            status=401,
            live="off",
        )
    secure = request.url.scheme == "https"
    return await run_in_threadpool(login.with_session, RedirectResponse(target, 303), state, key, secure)


@router.get("/logout")
def logout() -> Response:
    r = RedirectResponse("/login", status_code=303)
    r.delete_cookie(SESSION_COOKIE, path="/")
    return r


@router.get("/health")
def health(request: Request, state: StateDep) -> Response:
    """Ingest health: each followed source (files, last pass, lag), and the problems by code."""
    if (r := _guard(request, state)) is not None:
        return r
    from clawscope.analytics import health as ingest_health

    ing = state.ingest
    lag = None if ing.last_ms is None else max(0.0, (now_ms() - ing.last_ms) / 1000)
    ingest = {
        "following": bool(state.serving.state_dirs),
        "lastPassAt": analytics.iso(ing.last_ms),
        "lagSeconds": lag,
        "passes": ing.passes,
        "failed": ing.last_failed_ms is not None,
        "failedAt": analytics.iso(ing.last_failed_ms),
        "error": ing.last_error,
    }
    sources = ingest_health.sources(state.store, state.serving.state_dirs)
    problems = ingest_health.problems_by_code(state.store, ing.started_ms)
    if not _may_read_sessions(request, state):  # excerpts of reasons may quote transcript content
        for c in problems["codes"]:
            c["why"] = "(needs sessions:read)"
    return page(
        request, state, "health.html", _period(request), ingest=ingest, sources=sources, problems=problems
    )

"""Jinja2 environment of the dashboard: templates, number formats, and the context every page shares."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import NoMatchFound

from clawscope import __version__
from clawscope.errors import StoreError
from clawscope.web.dashboard import HERE
from clawscope.web.dashboard.period import RANGES, Period
from clawscope.web.state import AppState

STREAM_PATH = "/api/v1/openclaw/stream"
NAV = (
    ("/", "Overview"),
    ("/timeline", "Timeline"),
    ("/models", "Models"),
    ("/tools", "Tools"),
    ("/sessions", "Sessions"),
    ("/findings", "Findings"),
    ("/agents", "Agents"),
    ("/forecast", "Forecast"),
    ("/health", "Health"),
    ("/alerts", "Alerts"),
)


def usd(v: float | None) -> str:
    if v is None:
        return "–"
    return f"${v:,.2f}" if abs(v) >= 1 else f"${v:,.4f}"


def num(v: float | None) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def counted(v: float | None, noun: str) -> str:
    """A count with its noun, singular for one: "1 error", "2 errors", "1,204 passes"."""
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + ("es" if noun.endswith("s") else "s")
    word = noun if v == 1 else plural
    return f"{num(v)} {word}"


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def ms(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v / 1000:.2f} s" if v >= 1000 else f"{v:.0f} ms"


def secs(v: float | None) -> str:
    if not v:
        return "–"
    if v >= 3600:
        return f"{v / 3600:.1f} h"
    return f"{v / 60:.1f} min" if v >= 60 else f"{v:.0f} s"


def downloads(request: Request, table: str, query: str | None = None) -> Markup:
    """The CSV and JSON download links of a table (web/dashboard/downloads.py), for this page's query
    (or `query`)."""
    q = request.url.query if query is None else query
    links = "".join(
        f'<a href="/download/{table}.{fmt}{"?" + escape(q) if q else ""}" download>{fmt.upper()}</a>'
        for fmt in ("csv", "json")
    )
    return Markup(f'<p class="downloads" data-downloads="{table}">Download:{links}</p>')


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(usd=usd, num=num, counted=counted, pct=pct, ms=ms, secs=secs)
templates.env.globals["downloads"] = downloads


def live_mode(request: Request) -> str:
    """SSE when the event stream is served by this app, else polling of /api/v1/health."""
    # By route name, not by listing `app.routes`: routers included with a prefix are not listed there
    # by path (FastAPI ≥ 0.165), which silently turned every dashboard into a poller.
    try:
        request.app.url_path_for("stream")
    except NoMatchFound:
        return "poll"
    return "sse"


def health_badge(state: AppState) -> str:
    """`warn` (the live badge turns amber) when the last ingest pass failed or problems are new (first
    seen since the server started), else `ok`."""
    if state.ingest.last_failed_ms is not None:
        return "warn"
    try:
        new = state.store.problems.count_since(state.ingest.started_ms)
    except StoreError:
        return "warn"
    return "warn" if new else "ok"


def unreadable_files(state: AppState) -> int:
    """Files that could not be read (sessions may be missing, so the badge is never green); a database
    error here is not the page's: the badge says so as if files were missing."""
    try:
        return state.store.problems.count("unreadable")
    except StoreError:
        return 1


def page(request: Request, state: AppState, name: str, period: Period, **ctx: Any) -> Response:
    status = int(ctx.pop("status", 200))
    base = {
        "request": request,
        "nav": NAV,
        "ranges": RANGES,
        "period": period,
        "demo": state.serving.demo,
        "no_state": state.serving.no_state,
        "state_dirs": state.serving.state_dirs,
        "live": live_mode(request),
        "stream": STREAM_PATH,
        "auth": not state.settings.no_auth,
        "version": __version__,
        # files that could not be read: sessions may be missing, so the live badge is never green
        "unreadable": unreadable_files(state),
        "health": health_badge(state),
    }
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)

"""The pages that browse transcripts: the Sessions list (paged on the server, sorting and filters in
the URL), one session's replay (a page of entries at a time) and full-text search. Split from pages.py
(the numbers pages) because these read transcript content and need `sessions:read`."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from clawscope.analytics import browse
from clawscope.detect import queries as findings_q
from clawscope.errors import NotFoundError
from clawscope.store import SearchQuery
from clawscope.web.dashboard import data, replay, search_data
from clawscope.web.dashboard.pages import _guard, _period
from clawscope.web.dashboard.render import page
from clawscope.web.state import StateDep

router = APIRouter(include_in_schema=False)
Q = Annotated[str | None, Query()]
PAGE_SIZES = (25, 50, 100, 200)


def _int(text: str | None, default: int, lo: int, hi: int) -> int:
    try:
        return min(max(int(text or default), lo), hi)
    except ValueError:
        return default


@router.get("/sessions")
def sessions(request: Request, state: StateDep, q: Q = None, sort: Q = None, dir: Q = None) -> Response:
    if (r := _guard(request, state, "sessions:read")) is not None:
        return r
    period = _period(request)
    qp = request.query_params
    sort = sort if sort in data.SESSION_SORTS else "last"
    desc = dir != "asc"
    eq = {k: qp.get(k) or None for k in data.SESSION_FILTERS}
    size = _int(qp.get("size"), 50, 1, 200)
    count = data.session_count(state.store, period, q or "", eq)
    pages = max(1, -(-count // size))
    number = _int(qp.get("page"), 1, 1, pages)
    rows = data.sessions(state.store, period, q or "", sort, desc, eq, limit=size, offset=(number - 1) * size)
    options = browse.facets(state.store, period.filters())
    keep: dict[str, Any] = {k: v for k, v in eq.items() if v}
    if q:
        keep["q"] = q
    base = "&".join(x for x in (period.query(), urlencode(keep)) if x)
    return page(
        request, state, "sessions.html", period,
        rows=rows, count=count, q=q or "", sort=sort, desc=desc,
        eq=eq, options=options, number=number, pages=pages, size=size, sizes=PAGE_SIZES,
        base=base, table_query=f"{base}&sort={sort}&dir={'desc' if desc else 'asc'}",
    )  # fmt: skip


@router.get("/sessions/{session_id}")
def session(request: Request, state: StateDep, session_id: str, p: Q = None) -> Response:
    if (r := _guard(request, state, "sessions:read")) is not None:
        return r
    period = _period(request)
    try:
        s = browse.session(state.store, session_id)  # what GET /api/v1/sessions/{id} answers
    except NotFoundError:
        return page(request, state, "missing.html", period, session_id=session_id, status=404)
    tree = data.spawn_tree(state.store, session_id)
    if tree is None:
        return page(request, state, "missing.html", period, session_id=session_id, status=404)
    rows = {n["session"]["sessionId"]: n for n in _walk(tree)}
    node = rows[session_id]
    children = {c["session"]["key"]: c for c in node["children"] if c["session"]["key"]}
    total = int(s["entries"] or 0)
    pages = max(1, -(-total // replay.PAGE))
    number = _int(p, 1, 1, pages)
    sid = state.store.sessions.one(session_id)["sid"]  # type: ignore[index]
    hist = state.store.transcripts.history(sid, replay.PAGE, (number - 1) * replay.PAGE)
    records = [(int(e["pos"]), bytes(e["raw"])) for e in hist]
    calls = state.store.transcripts.model_calls(sid, [str(e["entry_id"]) for e in hist]) if hist else {}
    items = replay.timeline(records, {k: replay.turn(c) for k, c in calls.items()})  # this page's only
    marks = findings_q.by_entry(state.store, session_id)
    seen: set[str] = set()
    for it in items:  # an entry may show as several steps: its id and markers go on the first
        it["first"] = it["id"] not in seen
        seen.add(it["id"])
        if it.get("childKey") in children:
            it["child"] = children[it["childKey"]]
    found = findings_q.of_session(state.store, session_id)["findings"]
    days = {(s["firstAt"] or "")[:10], (s["lastAt"] or "")[:10]}
    return page(
        request, state, "session.html", period,
        s=s, node=node, tree=tree, items=items, marks=marks, findings=found,
        number=number, pages=pages, total=total, size=replay.PAGE, multiday=len(days) > 1,
    )  # fmt: skip


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for c in node["children"]:
        out.extend(_walk(c))
    return out


@router.get("/search")
def search(
    request: Request, state: StateDep, q: Q = None, agent: Q = None, kind: Q = None, role: Q = None
) -> Response:
    if (r := _guard(request, state, "sessions:read")) is not None:
        return r
    period = _period(request)
    query = SearchQuery(
        words=(q or "")[:500],
        agent=agent or None,
        kind=kind or None,
        role=role or None,
        since_ms=period.since_ms,
        until_ms=period.until_ms,
        limit=100,
    )
    hits = search_data.hits(state.store, query) if (q or "").strip() else []
    facets = browse.facets(state.store, period.filters())
    options = {k: facets[k] for k in ("agent", "kind")}
    return page(
        request, state, "search.html", period,
        q=q or "", hits=hits, eq={"agent": agent, "kind": kind, "role": role}, options=options,
        roles=search_data.ROLES, pruned=search_data.pruned(state.store, query),
    )  # fmt: skip

"""Search results as the search page shows them: a snippet around the first word found, the words
marked, and a link to the entry in its session's replay (the replay page that holds it, anchored)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from markupsafe import Markup

from clawscope.store import SearchHit, SearchQuery, Store
from clawscope.timeutil import iso_ms
from clawscope.web.dashboard import replay

ROLES = ("user", "assistant", "toolResult")
SNIPPET = 240  # characters around the first match
_WORD = re.compile(r"\w+", re.UNICODE)


def snippet(body: str, words: str) -> Markup:
    """Up to SNIPPET characters of `body` around the first of `words`, each word marked."""
    found = [w for w in _WORD.findall(words.lower()) if w]
    low = body.lower()
    at = min((i for i in (low.find(w) for w in found) if i >= 0), default=0)
    start = max(0, at - SNIPPET // 3)
    cut = body[start : start + SNIPPET]
    text = escape(("…" if start else "") + cut + ("…" if start + SNIPPET < len(body) else ""))
    for w in sorted(set(found), key=len, reverse=True):
        text = re.sub(f"({re.escape(escape(w))})", r"<mark>\1</mark>", text, flags=re.IGNORECASE)
    return Markup(text)


def link(hit: SearchHit) -> str:
    page = hit.pos // replay.PAGE + 1
    return f"/sessions/{hit.session_id}{'?p=' + str(page) if page > 1 else ''}#entry-{hit.entry_id}"


def hits(store: Store, query: SearchQuery) -> list[dict[str, Any]]:
    return [
        {
            "sessionId": h.session_id,
            "entryId": h.entry_id,
            "role": h.role,
            "at": iso_ms(h.ts_ms) if h.ts_ms is not None else None,
            "agent": h.agent,
            "kind": h.kind,
            "label": h.label,
            "snippet": snippet(h.text, query.words),
            "href": link(h),
        }
        for h in store.search.entries(query)
    ]


def pruned(store: Store, query: SearchQuery) -> int:
    """Sessions of the query's filters whose text retention pruned: their words are not searchable."""
    if not query.words.strip():
        return 0
    return store.retention.pruned_count(
        agent=query.agent, kind=query.kind, since_ms=query.since_ms, until_ms=query.until_ms
    )

"""The MCP server (`clawscope mcp`): read-only tools for an agent to ask about OpenClaw agents, with the
official `mcp` SDK, over stdio or streamable HTTP.

Tools give exactly what the REST API gives (they call the same analytics): `stats` (totals, or groups by
any dimension, for any period: `/api/v1/stats`, `/stats/<dimension>`, `/stats/tools`), `list_sessions`
(`/sessions`, paged), `open_session` (`/sessions/{id}` with a page of `/history`), `verify_receipt`
(`/receipts/verify` for one receipt or spool), `list_findings` (`/findings`, paged: `findings_mcp`) and
`list_alerts` (`/alerts/firing`, `/alerts/history`: `alerts_mcp`; both add themselves to `EXTRA_TOOLS`).
Nothing changes data.

Over HTTP the caller sends `Authorization: Bearer <API key>` (keys of `clawscope api-key`, checked by the
store, only their hash stored) and each tool needs the REST scope of its route (`stats:read`,
`sessions:read`, `audit:read`, `alerts:read`; `admin` has all). Over stdio the caller is the local process
that started the server (its security boundary, as for any stdio MCP server): no key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import orjson
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from clawscope import __version__
from clawscope.analytics import browse, reports
from clawscope.audit import api as audit_api
from clawscope.audit.jws import KeySet
from clawscope.errors import ClawscopeError, NotFoundError
from clawscope.model import Filters, SessionQuery
from clawscope.store import Store
from clawscope.timeutil import now_ms, parse_when

Dimension = Literal[
    "model", "provider", "agent", "kind", "trigger", "channel", "tool", "day", "hour", "month"
]
INSTRUCTIONS = (
    "clawscope observes OpenClaw agents: cost, tokens, model and tool calls of sessions ingested from "
    "OpenClaw's transcripts. Times are ISO dates/datetimes (UTC) or relative like 7d, 12h; `until` is "
    "exclusive. Costs are USD: costUSD is what OpenClaw reported, estimatedCostUSD clawscope's estimate."
)
# Tools other packages add (list_findings, list_alerts): a callable taking the server and the store.
EXTRA_TOOLS: list[Callable[[MCPServer, Store], None]] = []


class KeyVerifier:
    """The SDK's `TokenVerifier` over clawscope's API keys."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def verify_token(self, token: str) -> AccessToken | None:
        key = await asyncio.to_thread(self.store.keys.verify, token)
        if key is None:
            return None
        return AccessToken(token=token, client_id=key.key_id, scopes=list(key.scopes))


def require(scope: str) -> None:
    """Over HTTP, the key must hold `scope` (or admin); stdio and in-process callers hold everything."""
    token = get_access_token()
    if token is not None and scope not in token.scopes and "admin" not in token.scopes:
        raise ToolError(f"this key lacks the scope {scope!r}")


def when(value: str | None, name: str) -> int | None:
    """A tool's time argument (ISO or relative) as epoch ms; a ToolError when it is not one."""
    try:
        return parse_when(value, now_ms(), name) if value else None
    except ClawscopeError as exc:
        raise ToolError(str(exc)) from None


def _filters(
    since: str | None, until: str | None, agent: str | None, kind: str | None, channel: str | None
) -> Filters:
    f = Filters(
        since_ms=when(since, "since"),
        until_ms=when(until, "until"),
        agent=agent,
        kind=kind,
        channel=channel,
    )
    if f.since_ms is not None and f.until_ms is not None and f.since_ms >= f.until_ms:
        raise ToolError("since must be before until")
    return f


_VERDICT = ("path", "kind", "ok", "code", "message", "rid", "wire")


def _groups(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups as the REST API's response model gives them: every group has a `provider` (null but for
    models)."""
    return [{**g, "provider": g.get("provider")} for g in groups]


def build(store: Store, *, receipt_key: Path | None = None, auth_url: str | None = None) -> MCPServer:
    """The server over `store`. With `auth_url` (the server's own URL), HTTP callers need an API key."""
    auth = None
    verifier = None
    if auth_url is not None:
        # API keys are clawscope's own, not bound to an audience: the verifier checks the key itself.
        auth = AuthSettings(
            issuer_url=auth_url,  # type: ignore[arg-type]
            resource_server_url=f"{auth_url.rstrip('/')}/mcp",  # type: ignore[arg-type]
            validate_token_resource=False,
        )
        verifier = KeyVerifier(store)
    server: MCPServer = MCPServer(
        "clawscope", instructions=INSTRUCTIONS, version=__version__, token_verifier=verifier, auth=auth
    )

    @server.tool()
    async def stats(
        by: Dimension | None = None,
        since: str | None = None,
        until: str | None = None,
        agent: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        top: int = 10,
    ) -> dict[str, Any]:
        """Cost, tokens, model calls, tool calls and errors of a period: the totals (and per day) without
        `by`, else per model, provider, agent, kind, trigger, channel, tool, day, hour or month."""
        require("stats:read")
        f = _filters(since, until, agent, kind, channel)
        if by is None:
            found = await asyncio.to_thread(reports.overview, store, f)
            return {**found, "byDay": _groups(found["byDay"])}
        if by == "tool":
            return await asyncio.to_thread(reports.tools, store, f, max(1, min(top, 100)))
        found = await asyncio.to_thread(reports.by_dimension, store, f, by)
        return {**found, "groups": _groups(found["groups"])}

    @server.tool()
    async def list_sessions(
        agent: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        model: str | None = None,
        since: str | None = None,
        until: str | None = None,
        sort: Literal["recent", "oldest", "cost", "calls"] = "recent",
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """A page of sessions (cost, calls, errors, agent, kind, channel, …) and `nextCursor` for the next."""
        require("sessions:read")
        query = SessionQuery(
            agent=agent, kind=kind, channel=channel, model=model, since_ms=when(since, "since"),
            until_ms=when(until, "until"), sort=sort,
        )  # fmt: skip
        try:
            return await asyncio.to_thread(browse.page, store, query, max(1, min(limit, 500)), cursor)
        except ClawscopeError as exc:
            raise ToolError(str(exc)) from None

    @server.tool()
    async def open_session(session_id: str, limit: int = 100, offset: int = 0) -> dict[str, Any]:
        """One session and a page of its history: entries in order, with their model and tool calls."""
        require("sessions:read")
        try:
            session = await asyncio.to_thread(browse.session, store, session_id)
            history = await asyncio.to_thread(
                browse.history, store, session_id, max(1, min(limit, 5000)), max(0, offset)
            )
        except NotFoundError as exc:
            raise ToolError(str(exc)) from None
        return {"session": session, "history": history}

    @server.tool()
    async def verify_receipt(
        content: str,
        name: str | None = None,
        checkpoint: str | None = None,
        public_key: dict[str, Any] | str | None = None,
        allow_unanchored: bool = False,
    ) -> dict[str, Any]:
        """Verify a signed receipt (JWS or .peac.json) or a spool, with the server's receipt key or
        `public_key` (a JWK/JWKS as JSON): `{ok, results}` with each file's verdict and error code."""
        require("audit:read")
        try:
            if public_key is not None:
                doc = orjson.loads(public_key) if isinstance(public_key, str) else public_key
                keys = KeySet.from_json(doc, "public_key")
            elif receipt_key is not None and receipt_key.exists():
                keys = KeySet.load(receipt_key)
            else:
                raise ToolError("no receipt key configured: pass public_key")
            item = {"name": name, "content": content, "checkpoint": checkpoint}
            results = await asyncio.to_thread(
                audit_api.verify_files,
                [item],
                keys,
                int(time.time()),
                require_checkpoint=not allow_unanchored,
            )
        except (ClawscopeError, orjson.JSONDecodeError) as exc:
            raise ToolError(str(exc)) from None
        # as the REST API's response model gives each verdict: every field, null or empty when unused
        verdicts = [{**dict.fromkeys(_VERDICT), "warnings": [], **r} for r in results]
        return {"ok": all(r["ok"] for r in results), "results": verdicts}

    from clawscope.exports import alerts_mcp, findings_mcp  # noqa: F401  (add list_alerts, list_findings)

    for add in EXTRA_TOOLS:
        add(server, store)
    return server

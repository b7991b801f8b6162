"""The MCP tool `list_findings`: the detectors' findings as `GET /api/v1/findings` gives them (the same
filters, the same shape, the same cursor pages, scope `sessions:read`), added through `mcp.EXTRA_TOOLS`.

A module of its own because it needs the MCP SDK: `mcp.build` imports it, a `/metrics` scrape does not.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from clawscope.detect import queries
from clawscope.errors import ClawscopeError
from clawscope.exports.mcp import EXTRA_TOOLS, require, when
from clawscope.store import FindingQuery, Store

Family = Literal[
    "loop", "tool_abuse", "elevated_risk", "spawn_depth", "channel_mismatch", "sandbox_escape",
    "coordination_failure", "persona_drift", "hallucination", "context_overflow", "prompt_injection",
]  # fmt: skip
Severity = Literal["info", "warning", "critical"]


def add_list_findings(server: MCPServer, store: Store) -> None:
    @server.tool()
    async def list_findings(
        family: Family | None = None,
        severity: Severity | None = None,
        min_severity: Severity | None = None,
        agent: str | None = None,
        session_id: str | None = None,
        status: Literal["open", "resolved", "all"] = "open",
        since: str | None = None,
        until: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """Failures the detectors found (loops, tool abuse, risky commands, PII in groups, prompt
        injection, …), newest first: each with its family, severity, session, the entries that show it, a
        one-line message and its evidence; `nextCursor` for the next page. Open ones unless `status`."""
        require("sessions:read")
        query = FindingQuery(
            family=family, severity=severity, min_severity=min_severity, agent=agent, session_id=session_id,
            status=None if status == "all" else status, since_ms=when(since, "since"),
            until_ms=when(until, "until"),
        )  # fmt: skip
        try:
            return await asyncio.to_thread(queries.page, store, query, max(1, min(limit, 500)), cursor)
        except ClawscopeError as exc:
            raise ToolError(str(exc)) from None


if add_list_findings not in EXTRA_TOOLS:
    EXTRA_TOOLS.append(add_list_findings)

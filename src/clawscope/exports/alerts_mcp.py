"""The MCP tool `list_alerts`: what fires now and the alert history with every delivery attempt, as
`GET /api/v1/alerts/firing` and `GET /api/v1/alerts/history` give them (the same shape, scope
`alerts:read`), added through `mcp.EXTRA_TOOLS`.

A module of its own because it needs the MCP SDK: `mcp.build` imports it, a `/metrics` scrape does not.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer

from clawscope.alerts import manage
from clawscope.exports.mcp import EXTRA_TOOLS, require
from clawscope.store import Store


def add_list_alerts(server: MCPServer, store: Store) -> None:
    @server.tool()
    async def list_alerts(
        what: Literal["firing", "history"] = "history",
        rule_id: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """Alerts of clawscope's alert rules (cost thresholds, budgets, anomalies, detection findings).
        `firing`: each rule and scope that fires now, since when, its value. `history` (newest first, up
        to `limit`, optionally of one `rule_id`): every alert, resolve notice, digest and test with its
        message, severity, value and each delivery to a channel with its attempts."""
        require("alerts:read")
        if what == "firing":
            found = await asyncio.to_thread(manage.firing, store)
            return {"data": [f for f in found if rule_id is None or f["ruleId"] == rule_id]}
        return {"data": await asyncio.to_thread(manage.history, store, max(1, min(limit, 1000)), rule_id)}


if add_list_alerts not in EXTRA_TOOLS:
    EXTRA_TOOLS.append(add_list_alerts)

"""Analytics: the numbers users ask for, shared by the CLI, the REST API and the dashboard.

Every page and endpoint gets its numbers from these functions, so the CLI, the REST API and the
dashboard can never disagree. Keys are camelCase, times ISO-8601 UTC. `metrics` holds the pure
arithmetic (percentiles, forecast, deltas, tree roll-up); `core` the totals and groups; `reports`
the endpoint-shaped reports; `browse` sessions, history and spawn trees.
"""

from __future__ import annotations

from clawscope.analytics.core import (
    Filters,
    failed_tool_calls,
    grouped,
    iso,
    problems,
    session_json,
    session_turns,
    sessions,
    stats,
    totals,
)

__all__ = [
    "Filters",
    "failed_tool_calls",
    "grouped",
    "iso",
    "problems",
    "session_json",
    "session_turns",
    "sessions",
    "stats",
    "totals",
]

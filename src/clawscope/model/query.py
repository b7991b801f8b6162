"""What a reader asks the store for: the period and attributes to count (`Filters`, shared by the CLI,
the API, the dashboard and analytics) and the filters of a sessions listing (`SessionQuery`).

Times are milliseconds since the epoch, UTC; every `until_ms` is exclusive.
"""

from __future__ import annotations

import msgspec

# The dimensions totals can be broken down by (`clawscope stats --by`, `/api/v1/stats/<plural>`).
DIMENSIONS = ("model", "provider", "agent", "kind", "trigger", "channel", "tool", "day", "hour", "month")


class Filters(msgspec.Struct, frozen=True):
    """What to count. Times are ms since the epoch; `until_ms` is exclusive."""

    since_ms: int | None = None
    until_ms: int | None = None
    agent: str | None = None
    kind: str | None = None
    channel: str | None = None
    instance: str | None = None


class SessionQuery(msgspec.Struct, frozen=True):
    """Filters of `GET /sessions`; times in ms, `until_ms` exclusive."""

    agent: str | None = None
    kind: str | None = None
    channel: str | None = None
    model: str | None = None
    since_ms: int | None = None
    until_ms: int | None = None
    min_cost: float | None = None
    has_errors: bool | None = None
    sort: str = "recent"

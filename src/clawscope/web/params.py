"""Query parameters several routes share: the times users type (`from`, `to`, `at`) and text filters
(bounded, no NUL: PostgreSQL text cannot hold it). Routes import this, never each other."""

from __future__ import annotations

from typing import Any

from clawscope.errors import UsageError
from clawscope.timeutil import now_ms, parse_when
from clawscope.web.errors import ApiError

TEXT: dict[str, Any] = {"max_length": 200, "pattern": r"^[^\x00]*$"}  # PostgreSQL text has no NUL
WHEN = "ISO date (2026-11-01), datetime (2026-11-01T08:00Z) or a relative age (7d)"


def when(value: str | None, name: str) -> int | None:
    """Epoch ms of a time parameter (None when absent); 422 naming `name` when unreadable or out of range."""
    if value is None:
        return None
    try:
        ms = parse_when(value, now_ms(), name)
    except UsageError as exc:
        raise ApiError(422, str(exc), param=name) from None
    if not -62_135_596_800_000 <= ms <= 253_402_300_799_000:  # years 1..9999
        raise ApiError(422, f"{name} is out of range", param=name)
    return ms

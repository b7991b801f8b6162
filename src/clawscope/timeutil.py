"""Parsing the times users type: ISO dates and datetimes, or "7d"/"12h"/"30m" ago.

Shared by the CLI flags (`--since`, `--until`) and the API query parameters (`from`, `to`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from clawscope.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def parse_when(value: str, now_ms: int, name: str = "time") -> int:
    """Milliseconds since the epoch for an ISO date/datetime (UTC unless it has an offset) or a
    relative "<n><s|m|h|d|w>" meaning that long before now."""
    text = value.strip()
    m = _RELATIVE.match(text)
    if m:
        return now_ms - int(m.group(1)) * _UNIT_MS[m.group(2)]
    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"invalid {name} {value!r}: use an ISO date (2026-11-01), datetime (2026-11-01T08:00Z) or 7d"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def iso_ms(ms: int | None) -> str | None:
    """ISO-8601 UTC with milliseconds and a `Z`, the one time format of every JSON output."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""Time in one place: the wall clock in epoch milliseconds, the one ISO-8601 parser, the one ISO formatter,
and the times users type ("7d", "2026-11-01").

Every module that needs "now" in milliseconds calls `now_ms()` (or a clock injected as `Callable[[], int]`
whose default is `now_ms`); every module that reads ISO text calls `parse_iso_ms()`. `scripts/check`
keeps it so.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

from clawscope.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def now_ms() -> int:
    """The wall clock, in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def parse_iso_ms(text: str) -> int:
    """Milliseconds since the epoch of an ISO-8601 date (its UTC midnight) or datetime (`Z` or an offset;
    a datetime without one is UTC). Raises `ValueError` when the text is not one."""
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def parse_when(value: str, now_ms: int, name: str = "time") -> int:
    """Milliseconds since the epoch for an ISO date/datetime (UTC unless it has an offset) or a
    relative "<n><s|m|h|d|w>" meaning that long before now."""
    text = value.strip()
    m = _RELATIVE.match(text)
    if m:
        return now_ms - int(m.group(1)) * _UNIT_MS[m.group(2)]
    try:
        return parse_iso_ms(text)
    except ValueError:
        raise UsageError(
            f"invalid {name} {value!r}: use an ISO date (2026-11-01), datetime (2026-11-01T08:00Z) or 7d"
        ) from None


def iso_ms(ms: int | None) -> str | None:
    """ISO-8601 UTC with milliseconds and a `Z`, the one time format of every JSON output."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

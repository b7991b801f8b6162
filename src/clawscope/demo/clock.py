"""Time for the demo: a fixed anchor per seed, a daily rhythm with a few busy days, OpenClaw's time texts.

Nothing here reads the real clock: the anchor is derived from the seed, so the same seed gives the
same timestamps on every machine and every day. Activity is drawn from per-hour weights in the
owner's time zone (quiet nights, busy mornings and evenings, calmer weekends) times a handful of
spike days, which is what real usage histories look like.
"""

from __future__ import annotations

import bisect
import random
import time
from functools import lru_cache
from itertools import accumulate

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
SPAN_DAYS = 45
_ANCHOR_BASE_MS = 1_789_862_400_000  # 2026-09-20T00:00:00Z
_ANCHOR_RANGE_DAYS = 61

# Relative activity per local hour 0..23.
_HOURS = (
    0.25,
    0.12,
    0.06,
    0.05,
    0.05,
    0.1,
    0.35,
    0.9,
    1.5,
    2.0,
    2.0,
    1.8,
    1.3,
    1.5,
    1.8,
    1.8,
    1.6,
    1.4,
    1.2,
    1.4,
    1.7,
    1.5,
    1.0,
    0.5,
)
_WEEKEND = 0.55
_SPIKE = 3.5
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LONG_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def anchor_ms(seed: int) -> int:
    """The end of the demo's history: midnight UTC of a day between 2026-09-20 and 2026-11-19."""
    return _ANCHOR_BASE_MS + (seed % _ANCHOR_RANGE_DAYS) * DAY_MS


def iso(ms: int) -> str:
    """An entry timestamp: ISO-8601 UTC with milliseconds and `Z` (`Date.toISOString()`)."""
    return f"{_second(ms // 1000)}.{ms % 1000:03d}Z"


@lru_cache(maxsize=1024)
def _second(sec: int) -> str:
    t = time.gmtime(sec)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"


def file_stamp(ms: int) -> str:
    """The timestamp in archive file names (`….jsonl.reset.2026-04-22T09-44-51.837Z`)."""
    return iso(ms).replace(":", "-")


def _tz_name(offset_h: int) -> str:
    if offset_h == 0:
        return "UTC"
    return f"GMT{offset_h:+d}"


def envelope(ms: int, offset_h: int) -> str:
    """The local-time envelope OpenClaw puts before a chat message: `[Sat 2026-11-21 05:28 UTC]`."""
    t = time.gmtime(ms // 1000 + offset_h * 3600)
    return (
        f"[{_DAYS[t.tm_wday]} {t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d} {_tz_name(offset_h)}]"
    )


def _ordinal(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{({1: 'st', 2: 'nd', 3: 'rd'}).get(day % 10, 'th')}"


def current_time_line(ms: int, offset_h: int) -> str:
    """The line OpenClaw appends to cron prompts (observed in RUN-3.24)."""
    t = time.gmtime(ms // 1000 + offset_h * 3600)
    hour12 = t.tm_hour % 12 or 12
    ampm = "AM" if t.tm_hour < 12 else "PM"
    tz = _tz_name(offset_h)
    day = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"
    return (
        f"Current time: {_LONG_DAYS[t.tm_wday]}, {_MONTHS[t.tm_mon - 1]} {_ordinal(t.tm_mday)}, "
        f"{t.tm_year} — {hour12}:{t.tm_min:02d} {ampm} ({tz}) / {day} {t.tm_hour:02d}:{t.tm_min:02d} {tz}"
    )


class Rhythm:
    """When the owner of an agent is active: hourly slots over the demo span, with weights."""

    def __init__(self, end_ms: int, offset_h: int, spike_days: frozenset[int]) -> None:
        self.start_ms = end_ms - SPAN_DAYS * DAY_MS
        self.end_ms = end_ms
        self.spike_days = spike_days  # day indexes (from start_ms) with 3.5x the usual activity
        weights = []
        for slot in range(SPAN_DAYS * 24):
            ms = self.start_ms + slot * HOUR_MS
            local = time.gmtime(ms // 1000 + offset_h * 3600)
            w = _HOURS[local.tm_hour] * (_WEEKEND if local.tm_wday >= 5 else 1.0)
            if slot // 24 in spike_days:
                w *= _SPIKE
            weights.append(w)
        self._cum = list(accumulate(weights))
        self.offset_h = offset_h

    def sample(
        self, rng: random.Random, n: int, lo_ms: int | None = None, hi_ms: int | None = None
    ) -> list[int]:
        """n sorted moments between lo and hi, denser where the owner is usually active."""
        lo = max(self.start_ms, lo_ms if lo_ms is not None else self.start_ms)
        hi = min(self.end_ms, hi_ms if hi_ms is not None else self.end_ms)
        if hi <= lo or n <= 0:
            return [lo] * max(n, 0)
        first = (lo - self.start_ms) // HOUR_MS
        last = min((hi - 1 - self.start_ms) // HOUR_MS, len(self._cum) - 1)
        base = self._cum[first - 1] if first > 0 else 0.0
        top = self._cum[last]
        out = []
        for _ in range(n):
            slot = bisect.bisect_right(self._cum, base + rng.random() * (top - base), first, last)
            ms = self.start_ms + slot * HOUR_MS + rng.randrange(HOUR_MS)
            out.append(min(max(ms, lo), hi - 1))
        out.sort()
        return out


def spike_days(rng: random.Random) -> frozenset[int]:
    """Three or four busy days (a launch, a trip, an incident) somewhere in the span."""
    return frozenset(rng.sample(range(2, SPAN_DAYS - 1), rng.randint(3, 4)))

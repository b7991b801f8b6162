"""The time filter every page carries in its URL: `?range=all|today|7d|30d|custom&from=…&to=…`.

Kept in the query string so that a view can be shared; turned into the `Filters` the analytics
functions take (the same ones the JSON API uses), so a page and `/api/v1/stats?from=…` agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from clawscope.model import Filters
from clawscope.timeutil import parse_iso_ms

RANGES = (("all", "All time"), ("today", "Today"), ("7d", "Last 7 days"), ("30d", "Last 30 days"))
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Period:
    key: str  # all | today | 7d | 30d | custom
    since_ms: int | None
    until_ms: int | None
    start: str = ""  # custom range, ISO dates as typed
    end: str = ""

    @property
    def label(self) -> str:
        if self.key == "custom":
            return f"{self.start or '…'} – {self.end or '…'}"
        return dict(RANGES).get(self.key, "All time")

    def filters(self, **eq: str | None) -> Filters:
        return Filters(since_ms=self.since_ms, until_ms=self.until_ms, **eq)

    def previous(self, now_ms: int) -> Period | None:
        """The period of the same length just before this one (None for all time, or an open start):
        what the overview compares with."""
        if self.since_ms is None:
            return None
        end = self.until_ms if self.until_ms is not None else now_ms
        length = max(end - self.since_ms, 3_600_000)
        since = self.since_ms - length
        start = datetime.fromtimestamp(since / 1000, UTC).strftime("%Y-%m-%d")
        last = datetime.fromtimestamp((self.since_ms - 1) / 1000, UTC).strftime("%Y-%m-%d")
        return Period("custom", since, self.since_ms, start, last)

    def query(self) -> str:
        """The query string that reproduces this period (empty for all time)."""
        if self.key == "custom":
            return urlencode({"range": "custom", "from": self.start, "to": self.end})
        return "" if self.key == "all" else urlencode({"range": self.key})


def _hour_floor(ms: int) -> int:
    return ms - ms % 3_600_000


def today_start_ms(now_ms: int) -> int:
    return now_ms - now_ms % DAY_MS  # UTC midnight


def _day_ms(text: str) -> int | None:
    """UTC midnight of an ISO date (the custom range's date fields), or None."""
    if ":" in text:  # a time of day: these fields take dates only
        return None
    try:
        return parse_iso_ms(text)
    except ValueError:
        return None


def parse_period(key: str | None, start: str | None, end: str | None, now_ms: int) -> Period:
    """A period from the query string; anything unreadable falls back to all time (never an error page)."""
    key = (key or "all").strip()
    if key == "today":
        return Period("today", today_start_ms(now_ms), None)
    # Rolling windows start on a whole hour: the exact roll-ups then answer them (an unaligned start
    # makes every refresh scan the raw model calls).
    if key == "7d":
        return Period("7d", _hour_floor(now_ms - 7 * DAY_MS), None)
    if key == "30d":
        return Period("30d", _hour_floor(now_ms - 30 * DAY_MS), None)
    if key == "custom":
        since = _day_ms(start or "")
        until = _day_ms(end or "")
        if until is not None:
            until += DAY_MS  # the end date is inclusive
        if since is None and until is None:
            return Period("all", None, None)
        return Period("custom", since, until, (start or "").strip() if since else "", (end or "").strip())
    return Period("all", None, None)


def month_bounds(now_ms: int) -> tuple[int, int]:
    """[first ms of this UTC month, first ms of the next)."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    first = datetime(now.year, now.month, 1, tzinfo=UTC)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return int(first.timestamp() * 1000), int(nxt.timestamp() * 1000)

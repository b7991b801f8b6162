"""`Filters` as SQL: the WHERE clauses every read of a period shares, and UTC calendar buckets.

Two rules, one place each: a row (model call, tool call, entry, compaction) counts in a period by its
own time; a session counts when it was active in the period (last activity at or after its start, first
activity before its end) and has entries.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from clawscope.model import Filters

# The session attributes a filter names, as columns: of the sessions table (alias `s`) when raw rows are
# joined to it, of the roll-up tables (alias `r`, which carry them) otherwise.
SESSION_ATTRS = {"agent": "s.agent_id", "kind": "s.kind", "channel": "s.channel", "instance": "s.instance"}
ROLLUP_ATTRS = {"agent": "r.agent", "kind": "r.kind", "channel": "r.channel", "instance": "r.instance"}


def where(
    f: Filters, ts: str, params: dict[str, Any], attrs: dict[str, str] = SESSION_ATTRS, dated: str = ""
) -> str:
    """Rows whose time column `ts` is in the period, with these session attributes. `dated`: the
    condition that excludes rows without a time once the period has a bound (roll-ups keep such rows
    in hour -1; raw rows' NULL times never compare true). A lower bound of 0 or more implies it, and is
    then left out: SQLite took `r.hour_ms >= 0` as the start of its index range instead of the period's
    start, and read the roll-ups from the beginning of time (30 ms instead of 0.3 over a day of hours)."""
    parts = ["1=1"]
    implied = f.since_ms is not None and f.since_ms >= 0
    if dated and (f.since_ms is not None or f.until_ms is not None) and not implied:
        parts.append(dated)
    if f.since_ms is not None:
        parts.append(f"{ts} >= :since")
        params["since"] = f.since_ms
    if f.until_ms is not None:
        parts.append(f"{ts} < :until")
        params["until"] = f.until_ms
    for name, value in (
        ("agent", f.agent),
        ("kind", f.kind),
        ("channel", f.channel),
        ("instance", f.instance),
    ):
        if value is not None:
            parts.append(f"{attrs[name]} = :{name}")
            params[name] = value
    return " AND ".join(parts)


DAY_MS = 86_400_000


def day_parts(f: Filters) -> tuple[Filters | None, list[Filters]]:
    """A period of whole hours as the roll-ups read it: its whole UTC days (from a daily roll-up; None when
    it has none) and its partial days at either end (hour by hour), each with the period's attributes."""
    since, until = f.since_ms, f.until_ms
    d0 = None if since is None else -(-since // DAY_MS) * DAY_MS  # the first midnight at or after since
    d1 = None if until is None else until // DAY_MS * DAY_MS  # the last midnight at or before until
    if d0 is not None and d1 is not None and d0 >= d1:
        return None, [f]
    attrs = {"agent": f.agent, "kind": f.kind, "channel": f.channel, "instance": f.instance}
    edges = []
    if since is not None and d0 is not None and since < d0:
        edges.append(Filters(since, d0, **attrs))
    if until is not None and d1 is not None and d1 < until:
        edges.append(Filters(d1, until, **attrs))
    return Filters(d0, d1, **attrs), edges


def branch_where(f: Filters, time: str, params: dict[str, Any], n: int, dated: str = "") -> str:
    """`where` over a roll-up (alias `r`) for one branch of a UNION: its parameters suffixed with `_n`,
    so that each branch binds its own bounds."""
    own: dict[str, Any] = {}
    clause = re.sub(r":(\w+)", rf":\1_{n}", where(f, time, own, ROLLUP_ATTRS, dated=dated))
    params.update({f"{k}_{n}": v for k, v in own.items()})
    return clause


def session_where(f: Filters, params: dict[str, Any]) -> str:
    """Sessions (alias `s`, with entries) active in the period."""
    clause = where(Filters(agent=f.agent, kind=f.kind, channel=f.channel, instance=f.instance), "", params)
    if f.since_ms is not None:
        clause += " AND s.last_ms >= :since"
        params["since"] = f.since_ms
    if f.until_ms is not None:
        clause += " AND s.first_ms < :until"
        params["until"] = f.until_ms
    return f"s.n_entries > 0 AND {clause}"


def bucket(conn: Connection, ts: str, unit: str) -> str:
    """A UTC calendar bucket of a ms timestamp, as text, in the dialect at hand."""
    fmt = {
        "hour": ("%Y-%m-%dT%H:00", 'YYYY-MM-DD"T"HH24:00'),
        "day": ("%Y-%m-%d", "YYYY-MM-DD"),
        "month": ("%Y-%m", "YYYY-MM"),
    }[unit]
    if conn.dialect.name == "sqlite":
        return f"strftime('{fmt[0]}', {ts} / 1000, 'unixepoch')"
    return f"to_char(to_timestamp({ts} / 1000.0) AT TIME ZONE 'UTC', '{fmt[1]}')"

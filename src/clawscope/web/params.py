"""Query parameters several routes share: the times users type (`from`, `to`, `at`) and text filters
(bounded, no NUL: PostgreSQL text cannot hold it). Routes import this, never each other."""

from __future__ import annotations

import typing
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from clawscope.errors import UsageError
from clawscope.timeutil import now_ms, parse_when
from clawscope.web.errors import ApiError

TEXT: dict[str, Any] = {"max_length": 200, "pattern": r"^[^\x00]*$"}  # PostgreSQL text has no NUL
WHEN = (
    "ISO date (2026-11-01), datetime (2026-11-01T08:00Z, years 1970 to 8999) or a relative age (7d); "
    "empty means not given"
)
_YEAR = r"19[7-9][0-9]|[2-8][0-9]{3}"
_LEAP = r"19(?:7[26]|8[048]|9[26])|[2-8][0-9](?:0[48]|[2468][048]|[13579][26])|[2468][048]00|[357][26]00"
_DATE = (
    rf"(?:(?:{_YEAR})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    rf"|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:{_LEAP})-02-29)"
)
_TIME = (
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?"
)
_AGE = r"[0-9]{1,8}s|[0-9]{1,6}m|[0-9]{1,5}h|[0-9]{1,3}d|[0-9]{1,3}w"  # at most 20 years back
# What `when()` accepts, as the spec states it (so a schema-valid time is never refused).
TIME: dict[str, Any] = {"max_length": 40, "pattern": rf"^(?:|{_DATE}(?:{_TIME})?|{_AGE})$"}


def when(value: str | None, name: str) -> int | None:
    """Epoch ms of a time parameter (None when absent); 422 naming `name` when unreadable or out of range."""
    if value is None or value == "":
        return None
    try:
        ms = parse_when(value, now_ms(), name)
    except UsageError as exc:
        raise ApiError(422, str(exc), param=name) from None
    if not -62_135_596_800_000 <= ms <= 253_402_300_799_000:  # years 1..9999
        raise ApiError(422, f"{name} is out of range", param=name)
    return ms


async def known_query(request: Request) -> None:
    """A dependency of every API route: query parameters the route does not declare, or a single-valued
    one given twice, are a 422 (the spec declares every parameter; nothing is silently ignored). Async
    (no I/O): FastAPI would run a plain function in the thread pool, a thread hop per request."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    fields = {f.alias: f for f in _query_params(route.dependant)}
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        field = fields.get(name)
        if field is None:
            raise ApiError(422, f"unknown query parameter {name!r}", param=name)
        many = any(
            typing.get_origin(a) is list
            for a in (field.field_info.annotation, *typing.get_args(field.field_info.annotation))
        )
        if name in seen and not many:
            raise ApiError(422, f"query parameter {name!r} given more than once", param=name)
        seen.add(name)


def _query_params(dependant: Dependant) -> list[Any]:
    out = list(dependant.query_params)
    for sub in dependant.dependencies:
        out.extend(_query_params(sub))
    return out

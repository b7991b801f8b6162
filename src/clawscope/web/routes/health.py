"""`GET /api/v1/health`: is the server up, can it reach its database, how fresh is the data (no auth)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from clawscope import __version__
from clawscope.errors import StoreError
from clawscope.timeutil import iso_ms
from clawscope.web.state import StateDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Server, database and ingest status (no auth)")
def health(state: StateDep) -> dict[str, Any]:
    last_ms: int | None = None
    try:
        last_ms = state.store.last_run_ms()
        db = "ok"
    except StoreError:
        db = "unavailable"
    live_ms = state.ingest.last_ms  # set by live ingest in `serve`
    if live_ms is not None and (last_ms is None or live_ms > last_ms):
        last_ms = live_ms
    lag = None if last_ms is None else round(max(0.0, time.time() - last_ms / 1000), 3)
    return {
        "status": "ok" if db == "ok" else "degraded",
        "version": __version__,
        "uptime": round(time.monotonic() - state.started, 3),
        "db": db,
        "ingest": {"lastIngestAt": iso_ms(last_ms), "lagSeconds": lag},
    }

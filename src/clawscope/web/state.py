"""What a running app holds (settings, store, start time) and the request-scoped accessors for it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from clawscope.config import Settings
from clawscope.store import Store


@dataclass
class AppState:
    settings: Settings
    store: Store
    started: float = field(default_factory=time.monotonic)
    extras: dict[str, Any] = field(default_factory=dict)  # per-feature singletons (limiter, bus, …)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.clawscope
    return state


# What routes declare: `state: StateDep`.
StateDep = Annotated[AppState, Depends(app_state)]

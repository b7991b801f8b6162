"""Deterministic fault points for the crash-safety tests (`make attack`): the process kills itself
(SIGKILL, as `kill -9` would) at the n-th time it reaches a named point.

`CLAWSCOPE_FAULT=<point>:<n>` (read once, at import) arms one point; unset, `point()` is one dict
lookup. The points sit where a crash is the most damaging: `unit-committed` (right after an ingest
unit's commit, before the next: a session's rows stored, its metadata maybe not yet),
`before-events` (inside the unit's transaction, its data written, its events not yet), `mid-rollup`
(inside the transaction, between the statements that recompute a session's roll-ups), `mid-settle`
(inside the settle of owed roll-ups, rebuilt but their marks not yet deleted: rollup_pending.py).
"""

from __future__ import annotations

import os
import signal

POINTS = ("unit-committed", "before-events", "mid-rollup")  # the points every local ingest reaches
WEBHOOK_POINTS = ("mid-settle",)  # reached only where roll-ups are owed (the webhook path)


def _armed() -> tuple[str, int] | None:
    spec = os.environ.get("CLAWSCOPE_FAULT", "")
    name, _, n = spec.partition(":")
    if name not in POINTS + WEBHOOK_POINTS:
        return None
    return name, int(n) if n.isdigit() else 1


_ARMED = _armed()
_hits: dict[str, int] = {}


def point(name: str) -> None:
    """Kill this process here if this is the armed point's n-th hit."""
    if _ARMED is None or _ARMED[0] != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == _ARMED[1]:
        os.kill(os.getpid(), signal.SIGKILL)

"""One entry point for the roll-ups of revisions 0025 and 0026 (tools, distinct sessions per model,
prompt sizes, priced calls), so the places that settle a set of sessions (ingest's write, deletion, a
deferred or retention pass) call one function.

`refresh(conn, sids)` recomputes them all from the rows of these sessions, in the caller's write
transaction, after their `rollup_calls` rows were rebuilt (the model sessions are read from those).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from clawscope.store import rollup_model_sessions, rollup_priced, rollup_prompts, rollup_tools


def refresh(conn: Connection, sids: Iterable[int]) -> None:
    ordered = sorted(set(sids))
    rollup_tools.refresh(conn, ordered)
    rollup_model_sessions.refresh(conn, ordered)
    rollup_prompts.refresh(conn, ordered)
    rollup_priced.refresh(conn, ordered)

"""Every table of a store as comparable data: what "identical to a clean run" means in the crash and
hostile-input tests (issue 13).

Row ids and wall-clock columns differ between two runs of the same ingest, so they are left out or
translated: a `sid` becomes its session id, an entry's block position becomes its raw bytes. The event
log is a notification log whose cut into events follows the commits (a killed run commits in other
places than a clean one), so it is checked by what it promises instead (`event_gaps`): the
`session.updated` deltas of a session add up to its stored roll-ups, so a subscriber that replayed the
log missed nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
import zstandard
from sqlalchemy import text

from clawscope.store import Store, schema
from clawscope.store.writer import LINKS_OWED

# Columns that differ between two runs of the same ingest (ids, storing times, physical layout).
VOLATILE = {
    "first_seen_ms",
    "last_seen_ms",
    "created_ms",
    "updated_ms",
    "deleted_ms",
    "detected_ms",
    "resolved_ms",
    "claimed_ms",
    "problem_id",
    "block_id",
    "block_off",
    "run_id",
    "id",
}
# Tables of the run itself rather than of the data: their content differs by design.
SKIPPED = {"entry_blocks", "ingest_runs", "events", "alembic_version", "request_counts"}


def dump(store: Store, root: object = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's content (rows sorted), independent of row ids and wall-clock times (and of where
    the state dir `root` lies: its path becomes `<root>` in every text)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with store.engine.connect() as conn:
        sids = {r[0]: r[1] for r in conn.execute(text("SELECT sid, session_id FROM sessions"))}
        for table in schema.metadata.sorted_tables:
            if table.name in SKIPPED:
                continue
            cols = [c.name for c in table.columns if c.name not in VOLATILE]
            rows = []
            for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table.name}")):
                row = tuple(
                    sids.get(v) if c in ("sid", "parent_sid") and v is not None else v
                    for c, v in zip(cols, r, strict=True)
                )
                rows.append(tuple(_rooted(v, root) for v in row))
            if table.name == "cursors":  # a store's signature holds its WAL's mtime, which reading moves;
                # a linking owed is bookkeeping of the run, not data (a migration may set it)
                rows = [r for r in rows if not _is_db_signature(str(r[0])) and r[0] != LINKS_OWED]
            out[table.name] = sorted(rows, key=repr)
        out["raw_entries"] = sorted(_raw_entries(conn, sids))
    return out


def _is_db_signature(key: str) -> bool:
    return (key.startswith("sqlite:") and "#" not in key) or key.startswith("statedb:")


def _rooted(value: Any, root: object) -> Any:
    if root is not None and isinstance(value, str):
        return value.replace(str(root), "<root>")
    return value  # (money is whole nano-dollars: compared exactly, whatever the backend or batch)


def _raw_entries(conn: Any, sids: dict[int, str]) -> list[tuple[str, str, bytes]]:
    rows = conn.execute(
        text(
            "SELECT e.sid, e.entry_id, b.data, e.block_off, e.block_len FROM entries e "
            "JOIN entry_blocks b ON b.block_id = e.block_id"
        )
    ).all()
    dctx = zstandard.ZstdDecompressor()
    out = []
    for sid, eid, data, off, length in rows:
        raw = dctx.decompress(bytes(data), max_output_size=64 << 20)
        out.append((sids[sid], eid, raw[off : off + length]))
    return out


def differences(a: dict[str, list[tuple[Any, ...]]], b: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """The tables whose content differs, each with a few rows on either side (for a readable failure)."""
    out = []
    for name in sorted(set(a) | set(b)):
        ra, rb = a.get(name, []), b.get(name, [])
        if ra != rb:
            sa, sb = set(map(repr, ra)), set(map(repr, rb))
            only_a = sorted(sa - sb)[:3]
            only_b = sorted(sb - sa)[:3]
            out.append(f"{name}: {len(ra)} vs {len(rb)} rows; only first {only_a}; only second {only_b}")
    return out


def event_gaps(store: Store) -> list[str]:
    """Sessions whose stored roll-ups the event log's `session.updated` deltas do not add up to."""
    deltas: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with store.engine.connect() as conn:
        for sid, payload in conn.execute(
            text("SELECT session_id, payload FROM events WHERE type = 'session.updated'")
        ):
            for k, v in (orjson.loads(payload).get("new") or {}).items():
                if isinstance(v, int | float):
                    deltas[sid][k] += v
        rows = conn.execute(
            text("SELECT session_id, n_llm_calls, n_tool_calls, n_entries FROM sessions WHERE n_entries > 0")
        ).all()
    gaps = []
    for sid, llm, tools, entries in rows:
        d = deltas.get(sid, {})
        got = (d.get("llmCalls", 0), d.get("toolCalls", 0), d.get("entries", 0))
        if got != (llm, tools, entries):
            gaps.append(f"{sid}: events add up to {got}, stored {(llm, tools, entries)}")
    return gaps

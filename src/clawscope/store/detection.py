"""`Store.detection`: the `SessionView`s failure detectors read, built from what ingest stored.

One view per session: its info (kind, channel and chat type, from the key when not recorded; parent,
spawn chain, depth; status from the session or its sub-agent run), every entry in order with its parsed
record and text (raw entries from the compressed blocks), tool calls joined to their results with the
WHOLE arguments parsed from the raw call entry (the `tool_calls.arguments` column is a preview) and the
result's text (bounded), model calls, compactions, children, the instance's known session keys and the
agent's workspace Markdown files (read from its state dir by `sources.workspace`, only under it).

Efficient over thousands of sessions: sessions are read in batches and every table is read once per
batch (`sid IN (…)`), never once per session; blocks are decompressed once per batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import zstandard
from sqlalchemy import Connection, bindparam, text

from clawscope.model.detection import (
    CompactionView,
    EntryView,
    SessionView,
    ToolPolicy,
)
from clawscope.sources.agent_config import context_windows, read_config, tool_policy
from clawscope.sources.workspace import workspace_files
from clawscope.store.engine import Part
from clawscope.store.retention import NOT_PRUNED
from clawscope.store.transcripts import MAX_BLOCK_BYTES
from clawscope.store.view_records import entry_text, model_calls, pos_of, session_info, tool_uses

OUTPUT_LIMIT = 64 * 1024  # characters of a tool result's text a view carries
TEXT_LIMIT = 256 * 1024  # characters of one entry's joined text
RESULT_LIMIT = 8 * 1024  # characters of a child's last assistant text
BATCH_SESSIONS = 200
BATCH_ENTRIES = 20_000
_DCTX = zstandard.ZstdDecompressor()

_INFO_SQL = """
SELECT s.sid, s.session_id, s.instance, s.agent_id, s.key, s.kind, s.channel, s.chat_type, s.parent_sid,
       s.parent_key, p.session_id AS parent_session_id, s.spawn_depth, s.status, s.cwd, s.elevated_level,
       s.model, s.model_provider, s.label, s.started_ms, s.first_ms, s.last_ms, s.n_entries
FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid
"""

# only the columns the views carry (`view_records`): the previews and prices stay unread
_LLM_SQL = (
    "SELECT sid, entry_id, ts_ms, provider, model, stop_reason, error_message, input, cache_read, "
    "cache_write, output FROM llm_calls WHERE sid IN :sids"
)
_TOOLS_SQL = (
    "SELECT sid, call_id, call_entry_id, result_entry_id, nested_entry_id, wrapper, ts_ms, result_ts_ms, "
    "name, status, exit_code, error_text, duration_ms, exec_command, exec_elevated, exec_host, "
    "exec_security FROM tool_calls WHERE sid IN :sids"
)


class SessionViews(Part):
    def session_ids(self, *, since_ms: int | None = None, instance: str | None = None) -> list[str]:
        """Sessions with entries (active since `since_ms` when given), oldest first; not those whose text
        retention pruned (detectors would see empty entries: their findings stay as they were)."""
        sql = f"SELECT session_id FROM sessions s WHERE n_entries > 0 AND {NOT_PRUNED}"
        p: dict[str, Any] = {}
        if since_ms is not None:
            sql += " AND COALESCE(last_ms, first_ms, 0) >= :since"
            p["since"] = since_ms
        if instance is not None:
            sql += " AND instance = :instance"
            p["instance"] = instance
        with self._read() as conn:
            return [r[0] for r in conn.execute(text(sql + " ORDER BY first_ms, sid"), p)]

    def sizes(self, session_ids: Sequence[str]) -> dict[str, tuple[int, int | None]]:
        """(entries, last entry ms) of each session: what says that a session grew."""
        out: dict[str, tuple[int, int | None]] = {}
        with self._read() as conn:
            for chunk in _chunks(list(session_ids), 500):
                stmt = text(
                    "SELECT session_id, n_entries, last_ms FROM sessions WHERE session_id IN :ids"
                ).bindparams(bindparam("ids", expanding=True))
                for sid, n, last in conn.execute(stmt, {"ids": chunk}):
                    out[sid] = (int(n), last)
        return out

    def views(
        self,
        session_ids: Iterable[str],
        *,
        output_limit: int = OUTPUT_LIMIT,
        cache: ViewCache | None = None,
    ) -> Iterator[SessionView]:
        """The view of each session (those the store has, whose text was not pruned), in the order
        given, batch by batch. A `cache` carries what every batch reads alike (the pruned sessions, each
        instance's session keys, each agent's configuration and workspace files) from one call to the
        next of the same detection pass."""
        wanted = list(dict.fromkeys(session_ids))
        c = cache if cache is not None else ViewCache()
        with self._read() as conn:
            if c.pruned is None:
                c.pruned = frozenset(str(r[0]) for r in conn.execute(text(_PRUNED_SQL)))
            wanted = [w for w in wanted if w not in c.pruned] if c.pruned else wanted
            for chunk in _chunks(wanted, BATCH_SESSIONS):
                infos = _info_rows(conn, "s.session_id", chunk)
                for batch in _by_size(chunk, infos):
                    yield from self._batch(conn, batch, infos, c.envs, c.keys, output_limit)

    # -- one batch -------------------------------------------------------------------------------------

    def _batch(
        self,
        conn: Connection,
        ids: list[str],
        infos: dict[str, dict[str, Any]],
        envs: _Envs,
        keys_cache: dict[str, frozenset[str]],
        output_limit: int,
    ) -> Iterator[SessionView]:
        rows = [infos[i] for i in ids if i in infos]
        if not rows:
            return
        sids = [r["sid"] for r in rows]
        runs = _run_status(conn, [r["key"] for r in rows if r["key"]])
        ancestors = _ancestors(conn, rows)
        children = _children(conn, sids)
        results = _last_replies(conn, [c["sid"] for cs in children.values() for c in cs])
        entries = _entries(conn, sids)
        llm = _grouped(conn, _LLM_SQL, sids)
        tools = _grouped(conn, _TOOLS_SQL, sids)
        comps = _grouped(
            conn, "SELECT sid, entry_id, ts_ms, tokens_before FROM compactions WHERE sid IN :sids", sids
        )
        for instance in {r["instance"] for r in rows} - set(keys_cache):
            keys_cache[instance] = _known_keys(conn, instance)
        for r in rows:
            sid = r["sid"]
            files, windows, policy = envs.get(conn, r["instance"], r["agent_id"])
            info = session_info(r, runs, envs.window(conn, r))
            ents = entries.get(sid, [])
            by_id = {e.entry_id: e for e in ents}
            yield SessionView(
                session=info,
                entries=tuple(ents),
                tools=tool_uses(tools.get(sid, []), by_id, output_limit),
                model_calls=model_calls(llm.get(sid, []), by_id),
                compactions=tuple(
                    CompactionView(c[1], c[2], c[3])
                    for c in sorted(comps.get(sid, []), key=lambda c: pos_of(by_id, c[1]))
                ),
                children=tuple(
                    session_info(c, runs, envs.window(conn, c), results.get(c["sid"]))
                    for c in children.get(sid, [])
                ),
                ancestors=tuple(session_info(a, runs, envs.window(conn, a)) for a in ancestors.get(sid, [])),
                known_session_keys=keys_cache[r["instance"]],
                workspace_files=files,
                context_windows=windows,
                tool_policy=policy,
            )


class ViewCache:
    """What every batch of views reads alike, kept for one detection pass (`SessionViews.views`)."""

    def __init__(self) -> None:
        self.pruned: frozenset[str] | None = None
        self.keys: dict[str, frozenset[str]] = {}
        self.envs = _Envs()


class _Envs:
    """Per agent of an instance, read once per `views` call or `ViewCache`: its workspace files, the
    context windows and the agent's tool policy its state dir's config gives (a state dir is found in
    the `agents` table)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[dict[str, str], dict[str, int], ToolPolicy]] = {}

    def get(
        self, conn: Connection, instance: str, agent: str | None
    ) -> tuple[dict[str, str], dict[str, int], ToolPolicy]:
        if not agent:
            return {}, {}, ToolPolicy()
        if (instance, agent) not in self._cache:
            state_dir = conn.execute(
                text("SELECT state_dir FROM agents WHERE instance = :i AND agent_id = :a"),
                {"i": instance, "a": agent},
            ).scalar()
            if state_dir:
                root = Path(state_dir)
                config = read_config(root)
                self._cache[instance, agent] = (
                    workspace_files(root, agent, config),
                    context_windows(config),
                    tool_policy(config, agent),
                )
            else:
                self._cache[instance, agent] = ({}, {}, ToolPolicy())
        return self._cache[instance, agent]

    def window(self, conn: Connection, r: dict[str, Any]) -> int | None:
        """The context window of a session's model, when its instance's config names it."""
        _, windows, _ = self.get(conn, r["instance"], r["agent_id"])
        model, provider = r["model"], r["model_provider"]
        if not model:
            return None
        return windows.get(f"{provider}/{model}") or windows.get(model)


# -- reading ---------------------------------------------------------------------------------------------


def _chunks(items: list[Any], n: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _by_size(ids: list[str], infos: dict[str, dict[str, Any]]) -> Iterator[list[str]]:
    """Sub-batches of at most BATCH_ENTRIES entries (a huge session is a batch of its own)."""
    batch: list[str] = []
    size = 0
    for i in ids:
        n = int(infos[i]["n_entries"]) if i in infos else 0
        if batch and size + n > BATCH_ENTRIES:
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += n
    if batch:
        yield batch


def _in(conn: Connection, sql: str, name: str, values: list[Any]) -> list[dict[str, Any]]:
    if not values:
        return []
    stmt = text(sql).bindparams(bindparam(name, expanding=True))
    result = conn.execute(stmt, {name: values})
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def _info_rows(conn: Connection, column: str, values: list[Any]) -> dict[str, dict[str, Any]]:
    rows = _in(conn, _INFO_SQL + f" WHERE {column} IN :v", "v", values)
    return {r["session_id"]: r for r in rows}


def _grouped(conn: Connection, sql: str, sids: list[int]) -> dict[int, list[Any]]:
    """The rows of each session (`sid` first), as tuples in the query's column order: building a dict
    per row cost a sixth of the views over a cold ingest's tens of thousands of model and tool calls."""
    out: dict[int, list[Any]] = defaultdict(list)
    if not sids:
        return out
    stmt = text(sql).bindparams(bindparam("sids", expanding=True))
    for r in conn.execute(stmt, {"sids": sids}).all():
        out[r[0]].append(r)
    return out


def _run_status(conn: Connection, keys: list[str]) -> dict[str, str]:
    """The latest sub-agent run's outcome per child session key."""
    out: dict[str, tuple[int, str]] = {}
    sql = (
        "SELECT child_session_key, outcome, ended_reason, created_ms FROM subagent_runs "
        "WHERE child_session_key IN :k"
    )
    for r in _in(conn, sql, "k", sorted(set(keys))):
        status = r["outcome"] or r["ended_reason"]
        if not status:
            continue
        key, ts = r["child_session_key"], r["created_ms"] or 0
        if key not in out or ts >= out[key][0]:
            out[key] = (ts, str(status))
    return {k: v for k, (_, v) in out.items()}


def _ancestors(conn: Connection, rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Each session's spawn chain from its parent up (one query per level, not per session)."""
    by_sid: dict[int, dict[str, Any]] = {r["sid"]: r for r in rows}
    todo = {r["parent_sid"] for r in rows if r["parent_sid"] is not None} - set(by_sid)
    for _ in range(64):
        if not todo:
            break
        found = _in(conn, _INFO_SQL + " WHERE s.sid IN :v", "v", sorted(todo))
        for f in found:
            by_sid[f["sid"]] = f
        todo = {f["parent_sid"] for f in found if f["parent_sid"] is not None} - set(by_sid)
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        chain: list[dict[str, Any]] = []
        seen = {r["sid"]}
        p = r["parent_sid"]
        while p is not None and p in by_sid and p not in seen:
            seen.add(p)
            chain.append(by_sid[p])
            p = by_sid[p]["parent_sid"]
        out[r["sid"]] = chain
    return out


def _children(conn: Connection, sids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in _in(conn, _INFO_SQL + " WHERE s.parent_sid IN :v ORDER BY s.first_ms, s.sid", "v", sids):
        out[r["parent_sid"]].append(r)
    return out


def _known_keys(conn: Connection, instance: str) -> frozenset[str]:
    keys = conn.execute(
        text(
            "SELECT key FROM sessions WHERE instance = :i AND key IS NOT NULL "
            "UNION SELECT child_session_key FROM subagent_runs WHERE instance = :i "
            "AND child_session_key IS NOT NULL"
        ),
        {"i": instance},
    )
    return frozenset(str(k[0]).lower() for k in keys)


def _entries(conn: Connection, sids: list[int]) -> dict[int, list[EntryView]]:
    blocks: dict[int, memoryview] = {}
    stmt = text("SELECT block_id, codec, data FROM entry_blocks WHERE sid IN :sids").bindparams(
        bindparam("sids", expanding=True)
    )
    for block_id, codec, data in conn.execute(stmt, {"sids": sids}).all():
        blocks[block_id] = _decoded(codec, data)
    stmt = text(
        "SELECT sid, pos, entry_id, type, role, ts_ms, block_id, block_off, block_len FROM entries "
        "WHERE sid IN :sids ORDER BY sid, pos"
    ).bindparams(bindparam("sids", expanding=True))
    out: dict[int, list[EntryView]] = {}
    loads, decode_error, empty = orjson.loads, orjson.JSONDecodeError, memoryview(b"")
    current: int | None = None
    into: list[EntryView] = []  # rows come grouped by sid: one list lookup per session, not per row
    for sid, pos, entry_id, type_, role, ts_ms, block_id, off, length in conn.execute(
        stmt, {"sids": sids}
    ).all():
        if sid != current:
            current, into = sid, out.setdefault(sid, [])
        try:  # a slice of a memoryview copies nothing
            record = loads(blocks.get(block_id, empty)[off : off + length])
        except decode_error:
            record = {}
        if type(record) is not dict:
            record = {}
        run_id = record.get("runId")
        into.append(
            EntryView(  # positional (cheaper than keywords): entry_id, pos, type, role, ts_ms, text, …
                entry_id,
                int(pos),
                type_,
                role,
                ts_ms,
                entry_text(record)[:TEXT_LIMIT],
                record,
                run_id if type(run_id) is str else None,
            )
        )
    return out


def _decoded(codec: str, data: Any) -> memoryview:
    raw: Any = bytes(data) if not isinstance(data, bytes) else data
    return memoryview(_DCTX.decompress(raw, max_output_size=MAX_BLOCK_BYTES) if codec == "zstd" else raw)


def _blocks(conn: Connection, block_ids: list[int]) -> dict[int, memoryview]:
    """These blocks, decompressed."""
    return {r["block_id"]: _decoded(r["codec"], r["data"]) for r in _in(conn, _BLOCKS_SQL, "b", block_ids)}


_PRUNED_SQL = "SELECT s.session_id FROM pruned_sessions p JOIN sessions s ON s.sid = p.sid"
_BLOCKS_SQL = "SELECT block_id, codec, data FROM entry_blocks WHERE block_id IN :b"


# -- building ----------------------------------------------------------------------------------------------


def _last_replies(conn: Connection, sids: list[int]) -> dict[int, str]:
    """Each session's last assistant text (children's results as their parent sees them reported)."""
    sql = (
        "SELECT sid, pos, block_id, block_off, block_len FROM entries "
        "WHERE sid IN :sids AND role = 'assistant' ORDER BY sid, pos DESC"
    )
    out: dict[int, str] = {}
    done: set[int] = set()
    rows = _in(conn, sql, "sids", sids)
    blocks = _blocks(conn, sorted({r["block_id"] for r in rows}))  # one query, not one per block
    for r in rows:
        sid = r["sid"]
        if sid in done:
            continue
        bid = r["block_id"]
        if bid not in blocks:
            continue
        try:
            record = orjson.loads(blocks[bid][r["block_off"] : r["block_off"] + r["block_len"]])
        except orjson.JSONDecodeError:
            continue
        said = entry_text(record) if isinstance(record, dict) else ""
        if said.strip():
            out[sid] = said[:RESULT_LIMIT]
            done.add(sid)
    return out

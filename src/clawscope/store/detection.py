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
    ModelCallView,
    SessionInfo,
    SessionView,
    ToolUse,
)
from clawscope.sources.session_keys import parse_session_key
from clawscope.sources.workspace import workspace_files
from clawscope.store.engine import Part
from clawscope.store.transcripts import MAX_BLOCK_BYTES

OUTPUT_LIMIT = 64 * 1024  # characters of a tool result's text a view carries
TEXT_LIMIT = 256 * 1024  # characters of one entry's joined text
BATCH_SESSIONS = 200
BATCH_ENTRIES = 20_000
_DCTX = zstandard.ZstdDecompressor()
_PEER_CHAT = {"direct": "direct", "group": "group", "channel": "channel", "room": "group"}

_INFO_SQL = """
SELECT s.sid, s.session_id, s.instance, s.agent_id, s.key, s.kind, s.channel, s.chat_type, s.parent_sid,
       s.parent_key, p.session_id AS parent_session_id, s.spawn_depth, s.status, s.cwd, s.elevated_level,
       s.model, s.model_provider, s.label, s.started_ms, s.first_ms, s.last_ms, s.n_entries
FROM sessions s LEFT JOIN sessions p ON p.sid = s.parent_sid
"""


class SessionViews(Part):
    def session_ids(self, *, since_ms: int | None = None, instance: str | None = None) -> list[str]:
        """Sessions with entries (active since `since_ms` when given), oldest first."""
        sql = "SELECT session_id FROM sessions WHERE n_entries > 0"
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

    def views(self, session_ids: Iterable[str], *, output_limit: int = OUTPUT_LIMIT) -> Iterator[SessionView]:
        """The view of each session (those the store has), in the order given, batch by batch."""
        wanted = list(dict.fromkeys(session_ids))
        ws_cache: dict[tuple[str, str], dict[str, str]] = {}
        keys_cache: dict[str, frozenset[str]] = {}
        with self._read() as conn:
            for chunk in _chunks(wanted, BATCH_SESSIONS):
                infos = _info_rows(conn, "s.session_id", chunk)
                for batch in _by_size(chunk, infos):
                    yield from self._batch(conn, batch, infos, ws_cache, keys_cache, output_limit)

    # -- one batch -------------------------------------------------------------------------------------

    def _batch(
        self,
        conn: Connection,
        ids: list[str],
        infos: dict[str, dict[str, Any]],
        ws_cache: dict[tuple[str, str], dict[str, str]],
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
        entries = _entries(conn, sids)
        llm = _grouped(conn, "SELECT * FROM llm_calls WHERE sid IN :sids", sids)
        tools = _grouped(conn, "SELECT * FROM tool_calls WHERE sid IN :sids", sids)
        comps = _grouped(conn, "SELECT * FROM compactions WHERE sid IN :sids", sids)
        for instance in {r["instance"] for r in rows} - set(keys_cache):
            keys_cache[instance] = _known_keys(conn, instance)
        for r in rows:
            sid = r["sid"]
            info = _info(r, runs)
            ents = entries.get(sid, [])
            by_id = {e.entry_id: e for e in ents}
            yield SessionView(
                session=info,
                entries=tuple(ents),
                tools=_tool_uses(tools.get(sid, []), by_id, output_limit),
                model_calls=_model_calls(llm.get(sid, []), by_id),
                compactions=tuple(
                    CompactionView(c["entry_id"], c["ts_ms"], c["tokens_before"])
                    for c in sorted(comps.get(sid, []), key=lambda c: _pos(by_id, c["entry_id"]))
                ),
                children=tuple(_info(c, runs) for c in children.get(sid, [])),
                ancestors=tuple(_info(a, runs) for a in ancestors.get(sid, [])),
                known_session_keys=keys_cache[r["instance"]],
                workspace_files=self._workspace(conn, r["instance"], r["agent_id"], ws_cache),
            )

    def _workspace(
        self, conn: Connection, instance: str, agent: str | None, cache: dict[tuple[str, str], dict[str, str]]
    ) -> dict[str, str]:
        if not agent:
            return {}
        if (instance, agent) not in cache:
            state_dir = conn.execute(
                text("SELECT state_dir FROM agents WHERE instance = :i AND agent_id = :a"),
                {"i": instance, "a": agent},
            ).scalar()
            cache[instance, agent] = workspace_files(Path(state_dir), agent) if state_dir else {}
        return cache[instance, agent]


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
    return [dict(r._mapping) for r in conn.execute(stmt, {name: values})]


def _info_rows(conn: Connection, column: str, values: list[Any]) -> dict[str, dict[str, Any]]:
    rows = _in(conn, _INFO_SQL + f" WHERE {column} IN :v", "v", values)
    return {r["session_id"]: r for r in rows}


def _grouped(conn: Connection, sql: str, sids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in _in(conn, sql, "sids", sids):
        out[r["sid"]].append(r)
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
    blocks: dict[int, bytes] = {}
    for r in _in(conn, "SELECT block_id, codec, data FROM entry_blocks WHERE sid IN :sids", "sids", sids):
        raw: Any = bytes(r["data"])
        blocks[r["block_id"]] = (
            _DCTX.decompress(raw, max_output_size=MAX_BLOCK_BYTES) if r["codec"] == "zstd" else raw
        )
    sql = (
        "SELECT sid, pos, entry_id, type, role, ts_ms, block_id, block_off, block_len FROM entries "
        "WHERE sid IN :sids ORDER BY sid, pos"
    )
    out: dict[int, list[EntryView]] = defaultdict(list)
    for r in _in(conn, sql, "sids", sids):
        data = blocks.get(r["block_id"], b"")
        raw_entry = data[r["block_off"] : r["block_off"] + r["block_len"]]
        try:
            record = orjson.loads(raw_entry)
        except orjson.JSONDecodeError:
            record = {}
        record = record if isinstance(record, dict) else {}
        out[r["sid"]].append(
            EntryView(
                entry_id=r["entry_id"],
                pos=int(r["pos"]),
                type=r["type"],
                role=r["role"],
                ts_ms=r["ts_ms"],
                text=entry_text(record)[:TEXT_LIMIT],
                record=record,
                run_id=_str(record.get("runId")),
            )
        )
    return out


# -- building ----------------------------------------------------------------------------------------------


def _info(r: dict[str, Any], runs: dict[str, str]) -> SessionInfo:
    key = r["key"]
    parsed = parse_session_key(key) if key else None
    chat_type = r["chat_type"] or (_PEER_CHAT.get(str(parsed.kind)) if parsed else None)
    depth = r["spawn_depth"]
    if depth is None and parsed is not None and parsed.spawn_depth:
        depth = parsed.spawn_depth
    return SessionInfo(
        session_id=r["session_id"],
        instance=r["instance"],
        agent=r["agent_id"],
        key=key.lower() if key else None,
        kind=r["kind"],
        channel=r["channel"] or (parsed.channel if parsed else None),
        chat_type=chat_type,
        parent_session_id=r["parent_session_id"],
        parent_key=r["parent_key"].lower() if r["parent_key"] else None,
        spawn_depth=depth,
        status=r["status"] or (runs.get(key) if key else None),
        cwd=r["cwd"],
        elevated_level=r["elevated_level"],
        model=r["model"],
        provider=r["model_provider"],
        label=r["label"],
        started_ms=r["started_ms"] if r["started_ms"] is not None else r["first_ms"],
        last_ms=r["last_ms"],
    )


def _pos(by_id: dict[str, EntryView], entry_id: str | None) -> int:
    e = by_id.get(entry_id or "")
    return e.pos if e is not None else 1 << 62


def _model_calls(rows: list[dict[str, Any]], by_id: dict[str, EntryView]) -> tuple[ModelCallView, ...]:
    rows = sorted(rows, key=lambda r: _pos(by_id, r["entry_id"]))
    return tuple(
        ModelCallView(
            entry_id=r["entry_id"],
            ts_ms=r["ts_ms"],
            provider=r["provider"],
            model=r["model"],
            stop_reason=r["stop_reason"],
            error_message=r["error_message"],
            input_tokens=int(r["input"] or 0),
            cache_read=int(r["cache_read"] or 0),
            cache_write=int(r["cache_write"] or 0),
            output_tokens=int(r["output"] or 0),
        )
        for r in rows
    )


def _tool_uses(
    rows: list[dict[str, Any]], by_id: dict[str, EntryView], output_limit: int
) -> tuple[ToolUse, ...]:
    out: list[tuple[int, int, ToolUse]] = []
    for r in rows:
        call_entry = by_id.get(r["call_entry_id"] or "")
        index, args = _call_arguments(call_entry, r["call_id"], r["wrapper"])
        result_id = r["result_entry_id"] or r["nested_entry_id"]
        result = by_id.get(r["result_entry_id"] or "")
        out.append(
            (
                _pos(by_id, r["call_entry_id"]),
                index,
                ToolUse(
                    call_id=r["call_id"],
                    call_entry_id=r["call_entry_id"],
                    result_entry_id=result_id,
                    ts_ms=r["ts_ms"] if r["ts_ms"] is not None else r["result_ts_ms"],
                    name=r["name"],
                    arguments=args,
                    status=r["status"],
                    exit_code=r["exit_code"],
                    error_text=r["error_text"],
                    output_text=result.text[:output_limit] if result is not None else "",
                    duration_ms=r["duration_ms"],
                    exec_command=r["exec_command"],
                    exec_elevated=r["exec_elevated"],
                    exec_host=r["exec_host"],
                    exec_security=r["exec_security"],
                ),
            )
        )
    out.sort(key=lambda t: (t[0], t[1], t[2].call_id))
    return tuple(t[2] for t in out)


def _call_arguments(entry: EntryView | None, call_id: str, wrapper: str | None) -> tuple[int, dict[str, Any]]:
    """(block index, whole arguments) of a tool call, from its raw entry (unwrapped when it is wrapped)."""
    if entry is None:
        return 0, {}
    msg = entry.record.get("message")
    content = msg.get("content") if isinstance(msg, dict) else None
    if not isinstance(content, list):
        return 0, {}
    suffix = "@" + entry.entry_id
    raw_id = call_id[: -len(suffix)] if call_id.endswith(suffix) else call_id
    position: int | None = None
    if "#" in call_id and call_id.startswith(entry.entry_id + "#"):
        tail = call_id.rsplit("#", 1)[1]
        position = int(tail) if tail.isdigit() else None
    for i, block in enumerate(content):
        if not isinstance(block, dict) or block.get("type") not in ("toolCall", "tool_use"):
            continue
        if block.get("id") == raw_id or (position == i and not block.get("id")):
            args = block.get("arguments", block.get("input"))
            if isinstance(args, str):
                try:
                    args = orjson.loads(args)
                except orjson.JSONDecodeError:
                    args = {"_raw": args}
            if wrapper and isinstance(args, dict) and isinstance(args.get("args"), dict):
                args = args["args"]
            return i, args if isinstance(args, dict) else {}
    return 0, {}


def entry_text(record: dict[str, Any]) -> str:
    """The text of an entry: its message's text blocks joined, a compaction's summary, a custom text."""
    msg = record.get("message")
    if isinstance(msg, dict):
        return _content_text(msg.get("content"))
    if record.get("type") == "compaction":
        return _str(record.get("summary")) or ""
    return _content_text(record.get("content"))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(b.get("text", ""))
            for b in content
            if isinstance(b, dict) and b.get("type") in ("text", "output_text", "input_text")
        )
    return ""


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else None

"""`Store.search`: full-text search over transcript entries (revision 0017), kept up to date at ingest.

One row per entry in `search_docs` (session, entry, role, time) and its words in the backend's own
full-text index: an FTS5 table on SQLite (contentless: the text is already stored, compressed, in the
entry blocks; its rowid is the `search_docs` id), a `tsvector` column with a GIN index on PostgreSQL
(the `simple` configuration: transcripts mix languages, code and ids, so no stemming). The writer
calls `index_entries` once per unit, in its transaction; a re-ingested entry is already there and is
skipped. Hits are joined to `search_docs`, so a deleted session's leftover FTS5 rows never show.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import msgspec
import orjson
from sqlalchemy import Connection, text

from clawscope.store.engine import Part

MAX_TEXT = 64 * 1024  # words beyond this much of one entry are not indexed (a huge tool output)
_WORD = re.compile(r"\w+", re.UNICODE)

SQLITE_DDL = (
    "CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY, sid INTEGER NOT NULL, "
    "entry_id TEXT NOT NULL, role TEXT, ts_ms BIGINT, UNIQUE (sid, entry_id))",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, content='', tokenize='unicode61')",
)
POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS search_docs (id BIGSERIAL PRIMARY KEY, sid BIGINT NOT NULL, "
    "entry_id TEXT NOT NULL, role TEXT, ts_ms BIGINT, tsv TSVECTOR NOT NULL, UNIQUE (sid, entry_id))",
    "CREATE INDEX IF NOT EXISTS ix_search_docs_tsv ON search_docs USING GIN (tsv)",
)


def create(conn: Connection) -> None:
    """The search tables of this backend (new databases and revision 0017)."""
    for stmt in POSTGRES_DDL if conn.dialect.name == "postgresql" else SQLITE_DDL:
        conn.execute(text(stmt))


class SearchQuery(msgspec.Struct, frozen=True):
    """What to look for: words (all must occur, prefix match on the last), and the usual filters."""

    words: str
    agent: str | None = None
    kind: str | None = None  # the session's kind (main, cron, subagent, …)
    role: str | None = None  # the entry's role (user, assistant, toolResult, …)
    since_ms: int | None = None
    until_ms: int | None = None
    limit: int = 50


class SearchHit(msgspec.Struct, frozen=True):
    """A matching entry: where it is (`pos`: how many entries of its session come before it) and its
    searchable text."""

    session_id: str
    entry_id: str
    role: str | None
    ts_ms: int | None
    agent: str | None
    kind: str | None
    label: str | None
    pos: int
    text: str


def entry_text(raw: bytes) -> str:
    """The searchable text of a raw transcript record: message text, thinking, tool arguments and
    results, compaction summaries (what the replay shows)."""
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(rec, dict):
        return ""
    parts: list[str] = []
    msg = rec.get("message")
    if isinstance(msg, dict):
        _content(msg.get("content"), parts)
        if isinstance(msg.get("errorMessage"), str):
            parts.append(msg["errorMessage"])
        if isinstance(msg.get("toolName"), str):
            parts.append(msg["toolName"])
    if isinstance(rec.get("summary"), str):
        parts.append(rec["summary"])
    return "\n".join(parts)[:MAX_TEXT]


def _content(content: Any, parts: list[str]) -> None:
    if isinstance(content, str):
        parts.append(content)
        return
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            parts.append(block["thinking"])
        elif kind == "toolCall":
            parts.append(str(block.get("name") or ""))
            parts.append(orjson.dumps(block.get("arguments")).decode())


def index_entries(conn: Connection, docs: Sequence[tuple[int, str, str | None, int | None, bytes]]) -> int:
    """Index (sid, entry id, role, time, raw record) in the writer's transaction; entries already
    indexed are skipped. Returns how many were added."""
    if not docs:
        return 0
    rows = [
        {"sid": sid, "e": eid, "role": role, "ts": ts, "body": entry_text(raw)}
        for sid, eid, role, ts, raw in docs
    ]
    if conn.dialect.name == "postgresql":
        # The words as the query sees them (`_WORD`): PostgreSQL's own parser would keep "-04001" of
        # "needle-04001" as one signed-number token that the query's word "04001" never matches.
        for r in rows:
            r["body"] = " ".join(_WORD.findall(str(r["body"]).lower()))
        sql = (
            "INSERT INTO search_docs (sid, entry_id, role, ts_ms, tsv) VALUES "
            "(%s, %s, %s, %s, to_tsvector('simple', %s)) ON CONFLICT (sid, entry_id) DO NOTHING"
        )
        pg = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # (bulk: the driver's own)
        pg.executemany(sql, [(r["sid"], r["e"], r["role"], r["ts"], r["body"]) for r in rows])
        return int(pg.rowcount or 0)  # (psycopg 3: the sum over the rows)
    # SQLite: the ids the insert gave (one writer at a time, so every id above the old top is ours)
    top = conn.execute(text("SELECT COALESCE(max(id), 0) FROM search_docs")).scalar() or 0
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]  # (bulk: the driver's own)
    cur.executemany(
        "INSERT OR IGNORE INTO search_docs (sid, entry_id, role, ts_ms) VALUES (?, ?, ?, ?)",
        [(r["sid"], r["e"], r["role"], r["ts"]) for r in rows],
    )
    added = conn.execute(
        text("SELECT id, sid, entry_id FROM search_docs WHERE id > :top"), {"top": top}
    ).all()
    body = {(r["sid"], r["e"]): r["body"] for r in rows}
    fts = [(i, body[(sid, eid)]) for i, sid, eid in added if body.get((sid, eid))]
    if fts:
        cur.executemany("INSERT INTO search_fts (rowid, body) VALUES (?, ?)", fts)
    return len(added)


def forget(conn: Connection, sid: int) -> None:
    """Remove a session's words from the index (deletion, before its entries go). A contentless FTS5
    table forgets a row only when given the text it indexed, so that text is recomputed."""
    if conn.dialect.name == "postgresql":
        return  # the words are in search_docs itself, deleted with it
    from clawscope.store.transcripts import raw_entries

    found = conn.execute(text("SELECT entry_id, id FROM search_docs WHERE sid = :sid"), {"sid": sid})
    ids: dict[str, int] = {str(eid): int(i) for eid, i in found}
    rows = [
        {"id": ids[eid], "body": body}
        for _pos, eid, raw in raw_entries(conn, sid)
        if eid in ids and (body := entry_text(raw))
    ]
    if rows:
        conn.execute(
            text("INSERT INTO search_fts (search_fts, rowid, body) VALUES ('delete', :id, :body)"), rows
        )


def backfill(conn: Connection) -> int:
    """Index every stored entry (revision 0017 on an existing database), a session at a time."""
    from clawscope.store.transcripts import read_block

    added = 0
    for (sid,) in conn.execute(text("SELECT sid FROM sessions WHERE n_entries > 0")).all():
        rows = conn.execute(
            text(
                "SELECT entry_id, role, ts_ms, block_id, block_off, block_len FROM entries "
                "WHERE sid = :sid ORDER BY pos"
            ),
            {"sid": sid},
        ).all()
        blocks: dict[int, bytes] = {}
        docs = []
        for eid, role, ts, block_id, off, length in rows:
            if block_id not in blocks:
                blocks = {block_id: read_block(conn, block_id)}  # entries are in block order
            docs.append((int(sid), str(eid), role, ts, blocks[block_id][off : off + length]))
        added += index_entries(conn, docs)
    return added


def _match(words: str, postgres: bool) -> str | None:
    """The backend's query for these words: every word must occur, the last one as a prefix (so a
    search box finds while typing). Words only: operators typed by the user are not interpreted."""
    found = _WORD.findall(words.lower())[:12]
    if not found:
        return None
    if postgres:
        return " & ".join([*found[:-1], found[-1] + ":*"])
    return " ".join(f'"{w}"' for w in found[:-1]) + f' "{found[-1]}"*'


class Search(Part):
    def entries(self, q: SearchQuery) -> list[SearchHit]:
        """Matching entries, newest first."""
        match = _match(q.words, self._postgres)
        if match is None:
            return []
        params: dict[str, Any] = {"q": match, "limit": max(1, min(q.limit, 500))}
        cond = ["1=1"]
        for col, name, value in (
            ("s.agent_id", "agent", q.agent),
            ("s.kind", "kind", q.kind),
            ("d.role", "role", q.role),
        ):
            if value:
                cond.append(f"{col} = :{name}")
                params[name] = value
        if q.since_ms is not None:
            cond.append("d.ts_ms >= :since")
            params["since"] = q.since_ms
        if q.until_ms is not None:
            cond.append("d.ts_ms < :until")
            params["until"] = q.until_ms
        if self._postgres:
            source, cond0 = "search_docs d", "d.tsv @@ to_tsquery('simple', :q)"
        else:
            source = (
                "search_docs d JOIN (SELECT rowid AS id FROM search_fts WHERE search_fts MATCH :q) f "
                "ON f.id = d.id"
            )
            cond0 = "1=1"
        sql = (
            "SELECT s.session_id, d.entry_id, d.role, d.ts_ms, s.agent_id, s.kind, "
            "COALESCE(s.label, s.display_name) AS label, "
            "(SELECT count(*) FROM entries o WHERE o.sid = e.sid AND o.pos < e.pos) AS pos, "
            "e.block_id, e.block_off, e.block_len "
            f"FROM {source} JOIN sessions s ON s.sid = d.sid "
            "JOIN entries e ON e.sid = d.sid AND e.entry_id = d.entry_id "
            f"WHERE {cond0} AND {' AND '.join(cond)} ORDER BY d.ts_ms DESC, d.id DESC LIMIT :limit"
        )
        from clawscope.store.transcripts import read_block

        out = []
        with self._read() as conn:
            blocks: dict[int, bytes] = {}
            for sid, eid, role, ts, agent, kind, label, pos, block_id, off, length in conn.execute(
                text(sql), params
            ):
                if block_id not in blocks:
                    blocks[block_id] = read_block(conn, block_id)
                body = entry_text(blocks[block_id][off : off + length])
                out.append(SearchHit(sid, eid, role, ts, agent, kind, label, int(pos), body))
        return out

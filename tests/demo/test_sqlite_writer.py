"""The SQLite-era state dir: OpenClaw 2026.9.6's per-agent database, readable the documented way."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import zstandard

from clawscope.demo import DemoTotals
from clawscope.demo.sqlite_writer import agent_schema, connect_writable, navigation
from clawscope.sources.session_keys import parse_session_key
from tests.oracle import KEY

FIXTURE_DB = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "openclaw-2026.9.6-sqlite"
    / "agents"
    / "main"
    / "agent"
    / "openclaw-agent.sqlite"
)


@contextmanager
def read_only(path: Path, *, immutable: bool = False) -> Iterator[sqlite3.Connection]:
    """Open read-only. A WAL database opened with mode=ro still gets -shm/-wal files next to it;
    `immutable` avoids that (used for the repository's fixture, which must stay untouched)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro{'&immutable=1' if immutable else ''}", uri=True)
    try:
        yield conn
    finally:
        conn.close()


def databases(root: Path) -> list[Path]:
    return sorted(root.glob("agents/*/agent/openclaw-agent.sqlite"))


def master(conn: sqlite3.Connection) -> set[tuple[str, str, str, str | None]]:
    return set(
        conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_stat1'")
    )


def test_schema_is_openclaws_own(demo_sqlite: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_sqlite
    with read_only(FIXTURE_DB, immutable=True) as real:
        expected = master(real)
        real_pragmas = [
            real.execute(f"PRAGMA {p}").fetchone() for p in ("user_version", "auto_vacuum", "page_size")
        ]
    for db in databases(root):
        with read_only(db) as conn:
            assert master(conn) == expected
            pragmas = [
                conn.execute(f"PRAGMA {p}").fetchone() for p in ("user_version", "auto_vacuum", "page_size")
            ]
            assert pragmas == real_pragmas
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            meta = conn.execute(
                "SELECT meta_key, role, schema_version, agent_id, app_version FROM schema_meta"
            )
            assert meta.fetchall() == [("primary", "agent", 23, db.parents[1].name, "2026.9.6")]
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_databases_are_closed_cleanly(tmp_path: Path) -> None:
    from clawscope.demo import generate

    generate(tmp_path / "d", sessions=6, agents=2, era="sqlite", seed=0)
    files = sorted(p.name for p in (tmp_path / "d").glob("agents/*/agent/*"))
    assert files == ["openclaw-agent.sqlite", "openclaw-agent.sqlite"]  # no -wal / -shm / -journal left


def test_schema_data_file_matches_the_sample() -> None:
    """The DDL shipped with the demo is the sample's sqlite_master, replayable on this SQLite."""
    conn = connect_writable(Path(":memory:"))
    conn.executescript(agent_schema())
    with read_only(FIXTURE_DB, immutable=True) as real:
        assert master(conn) == master(real)


def test_the_documented_reading_recipe_works(demo_sqlite: tuple[Path, DemoTotals]) -> None:
    root, totals = demo_sqlite
    dctx = zstandard.ZstdDecompressor()
    sessions = 0
    for db in databases(root):
        with read_only(db) as conn:  # format doc §1.3, verbatim
            rows = conn.execute(
                "SELECT w.session_id, w.session_key, n.entry_json FROM session_windows w "
                "LEFT JOIN session_nodes n ON n.current_session_id = w.session_id"
            ).fetchall()
            for sid, key, entry_json in rows:
                assert KEY.match(key), key
                assert parse_session_key(key).agent_id == db.parents[1].name
                if entry_json is not None:
                    assert json.loads(entry_json)["sessionId"] == sid
                events = conn.execute(
                    "SELECT seq, event_json, event_zstd, created_at FROM transcript_events "
                    "WHERE session_id=? ORDER BY seq",
                    (sid,),
                ).fetchall()
                assert [e[0] for e in events] == list(range(len(events)))
                first = json.loads(events[0][1])
                assert first["type"] == "session"
                assert first["id"] == sid
                assert first["version"] == 4
                for _, text, blob, _ in events[1:]:
                    json.loads(text if text is not None else dctx.decompress(blob))
            sessions += len({r[0] for r in rows})
    assert sessions == totals.all.sessions


def test_compressed_rows_follow_openclaws_rule(demo_sqlite: tuple[Path, DemoTotals]) -> None:
    root, totals = demo_sqlite
    dctx = zstandard.ZstdDecompressor()
    compressed = plain_large = 0
    for db in databases(root):
        with read_only(db) as conn:
            rows = conn.execute(
                "SELECT seq, event_json, event_zstd, event_utf8_bytes, navigation_json FROM transcript_events"
            ).fetchall()
        for seq, text, blob, size, nav in rows:
            if blob is None:
                assert size is None
                assert nav is None
                data = text.encode()
                if len(data) >= 1024:
                    plain_large += 1  # the header, `\u` escapes, or too little gain
                    gain = len(data) - len(
                        zstandard.ZstdCompressor(level=1, write_checksum=True).compress(data)
                    )
                    assert seq == 0 or b"\\u" in data or gain < max(64, len(data) // 10)
                continue
            compressed += 1
            params = zstandard.get_frame_parameters(blob)
            assert params.has_checksum
            assert params.content_size == size
            data = dctx.decompress(blob)
            assert len(data) == size >= 1024
            assert b"\\u" not in data
            assert seq > 0
            assert len(data) - len(blob) >= max(64, size // 10)
            record = json.loads(data)
            projection = json.loads(nav)
            assert projection["version"] == 1
            assert projection["report"]["kind"] == "canonical"
            assert projection["navigation"]["id"] == record["id"]
            assert projection["withoutCustomDataBytes"] <= size
            assert nav.encode() == navigation(record, data)
    assert compressed == totals.zstdRows > 0
    assert plain_large > 0


def test_navigation_matches_the_real_compressed_row() -> None:
    """Our projection of the sample's compressed record is byte-identical to what OpenClaw stored."""
    with read_only(FIXTURE_DB, immutable=True) as real:
        blob, nav = real.execute(
            "SELECT event_zstd, navigation_json FROM transcript_events WHERE event_zstd IS NOT NULL"
        ).fetchone()
    data = zstandard.ZstdDecompressor().decompress(blob)
    assert navigation(json.loads(data), data) == nav.encode()
    assert zstandard.ZstdCompressor(level=1, write_checksum=True).compress(data) == blob


def test_identities_nodes_and_windows(demo_sqlite: tuple[Path, DemoTotals]) -> None:
    root, _ = demo_sqlite
    for db in databases(root):
        with read_only(db) as conn:
            assert (
                conn.execute("SELECT count(*) FROM transcript_events").fetchone()
                == conn.execute("SELECT count(*) FROM transcript_event_identities").fetchone()
            )
            bad = conn.execute(
                "SELECT count(*) FROM transcript_event_identities i LEFT JOIN transcript_events e "
                "ON e.session_id = i.session_id AND e.seq = i.seq WHERE e.seq IS NULL"
            ).fetchone()
            assert bad == (0,)
            keys = conn.execute(
                "SELECT count(*) FROM transcript_event_identities WHERE message_idempotency_key LIKE '%:user'"
            ).fetchone()[0]
            assert keys > 0
            assert conn.execute("SELECT count(*) FROM session_nodes WHERE entry_valid != 1").fetchone() == (
                0,
            )
            node_keys = [k for (k,) in conn.execute("SELECT session_key FROM session_nodes")]
            assert all(KEY.match(k) for k in node_keys), node_keys
            assert any(":cron:" in k and ":run:" not in k for k in node_keys)  # the job key of the latest run
            assert conn.execute("SELECT count(*) FROM session_canonical_validation_pending").fetchone() == (
                0,
            )
            orphans = conn.execute(
                "SELECT count(*) FROM session_nodes n LEFT JOIN session_windows w "
                "ON w.session_id = n.current_session_id WHERE w.session_id IS NULL"
            )
            assert orphans.fetchone() == (0,)
            resets = conn.execute(
                "SELECT count(*) FROM session_windows WHERE reason = 'reset' "
                "AND previous_session_id IS NOT NULL"
            ).fetchone()[0]
            archived = conn.execute(
                "SELECT count(*) FROM session_windows w WHERE NOT EXISTS "
                "(SELECT 1 FROM session_nodes n WHERE n.current_session_id = w.session_id)"
            )
            assert archived.fetchone()[0] == resets  # rolled-over windows are nobody's current session
            spawned = conn.execute(
                "SELECT parent_session_key, spawned_by, created_via FROM session_nodes "
                "WHERE session_key LIKE '%:subagent:%'"
            ).fetchall()
            assert spawned
            assert all(p == s and v == "spawn" for p, s, v in spawned)

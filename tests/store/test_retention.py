"""Transcript retention (store/retention.py), on both backends: pruning the text of idle sessions keeps
every number exact (all totals compared before and after the vacuum), a dry run changes nothing, pruned
sessions say so in replay and search, detection skips them, and a re-ingest stores their text neither
from a cursor-skipped file nor from a file read again (cursors lost)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from clawscope.analytics import browse
from clawscope.analytics.core import iso, stats
from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.ingest.run import Run
from clawscope.model import Filters
from clawscope.store import FindingQuery, SearchQuery, Store
from clawscope.store.migrate import head_revision, migrate
from clawscope.store.retention import DAY_MS

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "detect" / "openclaw-2026.7.35" / "state"
DIMS = (None, "model", "provider", "agent", "kind", "trigger", "channel", "tool", "day", "hour", "month")
DAYS = 30


def _numbers(store: Store) -> dict[str, Any]:
    """Every number clawscope shows: stats per dimension, every session's row, findings and their counts."""
    out: dict[str, Any] = {f"stats:{by}": stats(store, Filters(), by) for by in DIMS}
    out["sessions"] = sorted(
        (dict(r) for r in store.sessions.page(browse.SessionQuery(), 100_000, None)),
        key=lambda r: r["session_id"],
    )
    found = store.findings.page(FindingQuery(), 100_000)
    out["findings"] = sorted((f.id, f.status, f.updated_ms, f.message) for f in found)
    out["findingCounts"] = store.findings.counts(FindingQuery())
    return out


def _q(store: Store, sql: str, **params: Any) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(text(sql), params))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    shutil.copytree(CORPUS, state)
    return state


def _idle_clock(store: Store) -> int:
    """A "now" that leaves about half the sessions idle for more than DAYS days."""
    lasts = sorted(int(r[0]) for r in _q(store, "SELECT last_ms FROM sessions WHERE last_ms IS NOT NULL"))
    return lasts[len(lasts) // 2] + DAYS * DAY_MS


def test_pruning_keeps_every_number_and_says_so(db_url: str, corpus: Path) -> None:
    now = [0]
    with Store(db_url, clock=lambda: now[0]) as store:
        ingest(store, [corpus], instance="test", estimate=False)
        detect(store, workers=0)
        now[0] = _idle_clock(store)
        before = _numbers(store)
        assert before["findings"], "the corpus has findings to keep"
        blocks = _q(store, "SELECT count(*) FROM entry_blocks")[0][0]

        dry = store.retention.run(DAYS, dry_run=True)
        assert dry.sessions and dry.entries > 0 and dry.text_bytes > 0 and dry.search_rows > 0
        assert _q(store, "SELECT count(*) FROM entry_blocks")[0][0] == blocks  # a dry run changes nothing
        assert _q(store, "SELECT count(*) FROM pruned_sessions")[0][0] == 0
        assert _numbers(store) == before

        pruned_id = dry.sessions[0]
        words = _words_of(store, pruned_id)
        assert store.search.entries(SearchQuery(words)), "its text is searchable before"
        kept = {f.id: f for f in store.findings.page(FindingQuery(), 100_000)}

        done = store.retention.run(DAYS)
        assert (done.sessions, done.entries, done.text_bytes, done.search_rows) == (
            dry.sessions,
            dry.entries,
            dry.text_bytes,
            dry.search_rows,
        )
        assert done.vacuumed
        if store.backend == "sqlite":
            assert done.db_bytes_after < done.db_bytes_before
        assert _numbers(store) == before  # every total exact after the prune and the vacuum
        sids = [r[0] for r in _q(store, "SELECT sid FROM pruned_sessions")]
        assert len(sids) == len(dry.sessions)
        assert _q(store, "SELECT count(*) FROM entry_blocks")[0][0] < blocks
        left = _q(store, "SELECT count(*) FROM entry_blocks b JOIN pruned_sessions p ON p.sid = b.sid")
        assert left[0][0] == 0
        if store.backend == "sqlite":  # the words are gone from the FTS5 index too, not just unreachable
            indexed = _q(store, "SELECT count(*) FROM search_fts_docsize")[0][0]
            assert indexed <= _q(store, "SELECT count(*) FROM search_docs")[0][0]

        _replay_says_pruned(store, pruned_id, now[0])
        assert all(h.session_id not in dry.sessions for h in store.search.entries(SearchQuery(words)))
        assert store.retention.pruned_count() == len(dry.sessions)
        assert store.retention.pruned_count(until_ms=0) == 0

        # detection skips pruned sessions: forced over everything, their findings stay as they were
        detect(store, workers=0, force=True)
        # a family off (new settings: every session stale) would resolve its findings where it ran
        mine = [f for f in kept.values() if f.session_id in dry.sessions and f.status == "open"]
        assert mine, "a pruned session has an open finding"
        detect(store, {mine[0].family: {"enabled": False}}, workers=0)
        for f in store.findings.page(FindingQuery(), 100_000):
            if f.session_id in dry.sessions:
                assert f == kept[f.id]
        assert not set(store.detection.session_ids()) & set(dry.sessions)

        again = store.retention.run(DAYS)  # nothing left to prune: nothing changes
        assert again.sessions == [] and not again.vacuumed


def test_re_ingest_never_stores_pruned_text_again(
    db_url: str, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0]
    with Store(db_url, clock=lambda: now[0]) as store:
        ingest(store, [corpus], instance="test", estimate=False)
        now[0] = _idle_clock(store)
        words = _words_of(store, store.retention.run(DAYS, dry_run=True).sessions[0])
        report = store.retention.run(DAYS, vacuum="never")
        assert report.sessions and not report.vacuumed
        before = _numbers(store)

        def stored_text() -> int:
            sql = "SELECT count(*) FROM entry_blocks b JOIN pruned_sessions p ON p.sid = b.sid"
            return int(_q(store, sql)[0][0])

        # the same files again: each is skipped by its cursor (nothing is read, nothing added)
        again = ingest(store, [corpus], instance="test", estimate=False)
        assert again.counts()["entries"] == 0
        assert stored_text() == 0 and _numbers(store) == before
        # the cursors lost (or the files rewritten): every file is read again; a pruned session's entries
        # are already held, so neither their text nor their words come back and nothing counts twice
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM cursors"))
        ingest(store, [corpus], instance="test", estimate=False)
        assert stored_text() == 0 and _numbers(store) == before
        assert all(h.session_id not in report.sessions for h in store.search.entries(SearchQuery(words)))
        # and when ingest's own check misses (another ingest committed them a moment ago), the writer's
        # holds: it writes a pruned session only the entries it does not hold
        with store.engine.begin() as conn:
            conn.execute(text("DELETE FROM cursors"))
        monkeypatch.setattr(Run, "seen_for", lambda _self, _sid: set())
        ingest(store, [corpus], instance="test", estimate=False)
        assert stored_text() == 0 and _numbers(store) == before
        assert all(h.session_id not in report.sessions for h in store.search.entries(SearchQuery(words)))


def _words_of(store: Store, session_id: str) -> str:
    """Three words of a user message of this session (what a search for its text would type)."""
    import orjson

    for _pos, raw in store.transcripts.records(session_id):
        rec = orjson.loads(raw)
        content = (rec.get("message") or {}).get("content")
        if isinstance(content, list):
            content = " ".join(c.get("text", "") for c in content if isinstance(c, dict))
        if isinstance(content, str) and len(content.split()) >= 3:
            return " ".join(w for w in content.split()[:3])
    raise AssertionError(f"no text in {session_id}")


def _replay_says_pruned(store: Store, session_id: str, now: int) -> None:
    info = store.retention.pruned(session_id)
    assert info is not None and info.pruned_ms == now and info.retention_days == DAYS and info.entries > 0
    session = browse.session(store, session_id)
    assert session["pruned"] == {
        "at": iso(now),
        "retentionDays": DAYS,
        "entries": info.entries,
        "note": f"transcript text pruned on {iso(now)[:10]} by retention ({DAYS} days)",
    }
    page = browse.history(store, session_id, 50, 0)
    assert page["total"] == session["entries"] and page["entries"]
    assert all(e["textPruned"] and e["record"] is None for e in page["entries"])
    assert page["pruned"] == session["pruned"]
    assert store.transcripts.records(session_id) == []


def test_revision_0024_adds_the_pruned_sessions_table(db_url: str) -> None:
    with Store(db_url) as store:
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE pruned_sessions"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0022'"))
        assert migrate(store.engine) == head_revision()
        assert _q(store, "SELECT count(*) FROM pruned_sessions")[0][0] == 0
        assert store.retention.pruned_count() == 0

"""Full-text search over transcript entries: found at ingest, filtered, not duplicated by a re-ingest,
gone with a deleted session, and filled for an existing database by revision 0017 (both backends)."""

from __future__ import annotations

from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.store import SearchQuery, Store
from clawscope.store.migrate import head_revision, migrate
from clawscope.store.search import entry_text
from tests.support.builders import assistant, jsonl, state_dir, user, write_session

SAMPLE = "openclaw-2026.3.24-jsonl"


def test_an_ingested_entry_is_found_by_its_words(fixture_copy, db_url: str) -> None:
    with Store(db_url) as store:
        state = fixture_copy(SAMPLE)
        ingest(store, [state], instance="test", estimate=False)
        hits = store.search.entries(SearchQuery("hello via http"))
        assert hits, "the user's message is indexed"
        assert {h.role for h in hits} >= {"user", "assistant"}
        assert all(h.agent == "main" for h in hits)
        prefix = store.search.entries(SearchQuery("hello via ht"))  # the last word as a prefix
        assert {h.entry_id for h in prefix} == {h.entry_id for h in hits}
        assert store.search.entries(SearchQuery("hello via http", role="user"))[0].role == "user"
        assert store.search.entries(SearchQuery("hello via http", agent="nobody")) == []
        assert store.search.entries(SearchQuery("hello", until_ms=0)) == []
        assert store.search.entries(SearchQuery("zzqqxxnotaword")) == []
        assert store.search.entries(SearchQuery('" OR * NEAR(')) == []  # operators are not syntax
        ingest(store, [state], instance="test", estimate=False)  # again: nothing indexed twice
        assert len(store.search.entries(SearchQuery("hello via http"))) == len(hits)
        store.sessions.delete(hits[0].session_id)
        assert hits[0].session_id not in {h.session_id for h in store.search.entries(SearchQuery("hello"))}
        if store.backend == "sqlite":  # its words are gone from the index too, not just unreachable
            with store.engine.connect() as conn:
                docs = conn.execute(text("SELECT count(*) FROM search_docs")).scalar()
                indexed = conn.execute(text("SELECT count(*) FROM search_fts_docsize")).scalar()
            assert indexed <= docs


def test_revision_0017_indexes_what_is_already_stored(fixture_copy, sqlite_url: str) -> None:
    with Store(sqlite_url) as store:
        ingest(store, [fixture_copy(SAMPLE)], instance="test", estimate=False)
        with store.engine.begin() as conn:
            conn.execute(text("DROP TABLE search_docs"))
            conn.execute(text("DROP TABLE search_fts"))
            conn.execute(text("UPDATE alembic_version SET version_num = '0015'"))
        assert migrate(store.engine) == head_revision()
        assert store.search.entries(SearchQuery("hello via http"))


def test_the_text_of_a_record_is_what_the_replay_shows() -> None:
    raw = (
        b'{"type":"message","message":{"role":"assistant","content":[{"type":"thinking","thinking":"ponder"},'
        b'{"type":"text","text":"answer"},{"type":"toolCall","name":"web_fetch","arguments":{"url":"x.org"}}]}}'
    )
    body = entry_text(raw)
    assert "ponder" in body and "answer" in body and "web_fetch" in body and "x.org" in body
    assert entry_text(b"not json") == ""


def test_a_line_appended_later_is_indexed_incrementally(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sessions = state_dir(tmp_path / "state")
    path = write_session(sessions, "5ea70000-0000-4000-8000-000000000000", [user("first words"), assistant()])
    with Store(db_url) as store:
        ingest(store, [tmp_path / "state"], instance="t", estimate=False)
        with store.engine.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM search_docs")).scalar()
        assert store.search.entries(SearchQuery("quokkaword")) == []
        with path.open("a") as fh:  # OpenClaw appends a line
            fh.write(jsonl([user("a quokkaword appears", ts="2026-11-01T10:00:09.000Z")]))
        ingest(store, [tmp_path / "state"], instance="t", estimate=False)
        (hit,) = store.search.entries(SearchQuery("quokkaword"))
        assert (hit.role, hit.kind) == ("user", store.sessions.one(hit.session_id)["kind"])  # type: ignore[index]
        assert store.search.entries(SearchQuery("quokkaword", kind="no-such-kind")) == []
        with store.engine.connect() as conn:
            after = conn.execute(text("SELECT count(*) FROM search_docs")).scalar()
        assert after == before + 1  # the new entry only: nothing re-indexed

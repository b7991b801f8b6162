"""Conformance over the real OpenClaw samples: exact numbers, both storage eras, both database backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope import analytics
from clawscope.ingest import ingest
from clawscope.model import Filters
from clawscope.store import Store
from tests.oracle import count_state_dir

JSONL = "openclaw-2026.3.24-jsonl"
SQLITE = "openclaw-2026.9.6-sqlite"
EXACT = {
    JSONL: {
        "sessions": 4,
        "llmCalls": 13,
        "errors": 4,
        "tokensIn": 57877,
        "tokensOut": 140,
        "cacheRead": 45,
        "cacheWrite": 0,
        "costUSD": 0.1757445,
        "toolCalls": 3,
    },
    SQLITE: {
        "sessions": 3,
        "llmCalls": 8,
        "errors": 0,
        "tokensIn": 95393,
        "tokensOut": 188,
        "cacheRead": 40,
        "cacheWrite": 0,
        "costUSD": 0.289011,
        "toolCalls": 2,
    },
}


def ingested(db_url: str, state: Path) -> Store:
    store = Store(db_url)
    ingest(store, [state], instance="test", estimate=False)
    return store


@pytest.mark.parametrize("sample", [JSONL, SQLITE])
def test_totals_equal_an_independent_count(sample: str, fixture_copy, db_url: str) -> None:
    state = fixture_copy(sample)
    with ingested(db_url, state) as store:
        totals = analytics.stats(store, Filters())["totals"]
    oracle = count_state_dir(state).totals()
    for key, value in EXACT[sample].items():
        assert oracle[key] == pytest.approx(value, abs=1e-9), key  # the oracle itself is right
        assert totals[key] == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("sample", [JSONL, SQLITE])
def test_tool_calls_by_real_tool_name(sample: str, fixture_copy, db_url: str) -> None:
    with ingested(db_url, fixture_copy(sample)) as store:
        groups = analytics.stats(store, Filters(), by="tool")["groups"]
    by_name = {g["key"]: (g["toolCalls"], g["toolErrors"]) for g in groups}
    expected = (
        {"exec": (2, 0), "sessions_spawn": (1, 0)}
        if sample == JSONL
        else {"exec": (1, 0), "sessions_spawn": (1, 0)}
    )
    assert by_name == expected  # the 9.6 `tool_call` wrapper is unwrapped to sessions_spawn


def test_jsonl_era_links_subagent_and_cron_run(fixture_copy, db_url: str) -> None:
    with ingested(db_url, fixture_copy(JSONL)) as store:
        rows = {r["sessionId"]: r for r in analytics.sessions(store, Filters())}
        with store.engine.connect() as conn:
            cron_runs = conn.execute(text("SELECT job_id, session_id, status FROM cron_runs")).all()
            subs = conn.execute(
                text("SELECT run_id, child_session_key, requester_session_key FROM subagent_runs")
            ).all()
    child = rows["f4317b5c-f629-4639-9314-630b37ffffc2"]
    assert child["kind"] == "subagent"
    assert child["parentSessionId"] == "e43552a8-59d9-4c60-9b45-90f1834cdfc8"
    assert child["parentKey"] == "agent:main:main"
    assert child["spawnDepth"] == 1
    assert child["label"] == "child-1"
    cron = rows["fc9e99ef-5350-4fc0-b87e-15d18b66da5f"]
    assert cron["kind"] == "cron-run"  # the run key beats the job's base key for the same transcript
    assert cron["trigger"] == "cron"
    assert cron["jobId"] == "23da2779-5195-44f8-a7d1-16ee0a89f993"
    assert [tuple(r) for r in cron_runs] == [
        ("23da2779-5195-44f8-a7d1-16ee0a89f993", "fc9e99ef-5350-4fc0-b87e-15d18b66da5f", "ok")
    ]
    assert [tuple(r) for r in subs] == [
        (
            "a9f741c5-c210-4cc2-b8a0-9d69eb5dc948",
            "agent:main:subagent:38ea84e0-dfea-4fe4-8b14-a45a54a7c7eb",
            "agent:main:main",
        )
    ]
    assert rows["48c985dd-006a-45e3-ac88-a24f5b1e3741"]["kind"] == "openai-api"
    main = rows["e43552a8-59d9-4c60-9b45-90f1834cdfc8"]
    assert (main["kind"], main["llmCalls"], main["errors"], main["toolCalls"]) == ("main", 9, 4, 2)


def test_sqlite_era_reads_the_zstd_row_and_links_the_subagent(fixture_copy, db_url: str) -> None:
    with ingested(db_url, fixture_copy(SQLITE)) as store:
        rows = {r["sessionId"]: r for r in analytics.sessions(store, Filters())}
        with store.engine.connect() as conn:
            spawn = conn.execute(
                text(
                    "SELECT t.name, t.wrapper, t.result_entry_id, t.result_real_name, t.nested_name, "
                    "t.status "
                    "FROM tool_calls t JOIN sessions s ON s.sid = t.sid WHERE t.call_id = 'call_eaf8c2d7ba3d'"
                )
            ).one()
            zstd_entry = conn.execute(
                text(
                    "SELECT e.pos, e.role FROM entries e JOIN sessions s ON s.sid = e.sid "
                    "WHERE s.session_id = '3ff11eb1-7006-42b6-a6d6-5639afa1513d' "
                    "AND e.entry_id = 'fc01b0cc-bb03-43cb-9dc0-6806b6e36d04'"
                )
            ).one()
    main = rows["3ff11eb1-7006-42b6-a6d6-5639afa1513d"]
    assert main["entries"] == 24  # seq 0..23, including the zstd-compressed seq 17
    assert tuple(zstd_entry) == (17, "toolResult")
    assert tuple(spawn) == (
        "sessions_spawn",
        "tool_call",
        "fc01b0cc-bb03-43cb-9dc0-6806b6e36d04",
        "sessions_spawn",
        "sessions_spawn",
        "ok",
    )
    child = rows["0f26b913-efab-4437-9a8e-16cd29ff5a8d"]
    assert (child["kind"], child["parentSessionId"], child["spawnDepth"]) == (
        "subagent",
        "3ff11eb1-7006-42b6-a6d6-5639afa1513d",
        1,
    )
    assert rows["06c02e1f-0578-45ca-ac48-d148526a9883"]["kind"] == "openai-api"


def test_both_eras_together_and_ingest_twice_change_nothing(fixture_copy, db_url: str) -> None:
    states = [fixture_copy(JSONL), fixture_copy(SQLITE)]
    with Store(db_url) as store:
        first = ingest(store, states, instance="test")
        before = analytics.stats(store, Filters())
        dump_before = table_counts(store)
        second = ingest(store, states, instance="test")
        after = analytics.stats(store, Filters())
        assert table_counts(store) == dump_before
    assert first.llm_calls == 21 and first.entries > 0
    assert (second.entries, second.llm_calls, second.tool_calls, second.files) == (0, 0, 0, 0)
    assert before == after
    assert after["totals"]["llmCalls"] == 21
    assert after["totals"]["costUSD"] == pytest.approx(0.1757445 + 0.289011, abs=1e-9)


def table_counts(store: Store) -> dict[str, int]:
    tables = [
        "sessions",
        "entries",
        "entry_blocks",
        "llm_calls",
        "tool_calls",
        "compactions",
        "changes",
        "cron_runs",
        "subagent_runs",
        "problems",
    ]
    with store.engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in tables}

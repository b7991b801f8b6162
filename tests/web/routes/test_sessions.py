"""Contract tests of `/api/v1/sessions*` over the real OpenClaw samples, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.server import auth

JSONL = "openclaw-2026.3.24-jsonl"
SQLITE = "openclaw-2026.9.6-sqlite"


@pytest.fixture
def dirs(fixture_copy) -> list:
    return [fixture_copy(JSONL), fixture_copy(SQLITE)]


@pytest.fixture
def samples(store: Store, dirs: list) -> Store:
    ingest(store, dirs, instance="test", estimate=False)
    return store


@pytest.fixture
def key(make_key) -> str:
    return make_key("sessions:read")


def all_pages(client: TestClient, key: str, query: str, limit: int) -> list[dict]:
    out, cursor = [], None
    for _ in range(50):
        url = f"/api/v1/sessions?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else "")
        r = client.get(url, headers=auth(key))
        assert r.status_code == 200, r.text
        out += r.json()["sessions"]
        cursor = r.json()["nextCursor"]
        if cursor is None:
            return out
    raise AssertionError("pagination does not end")


@pytest.mark.parametrize("sort", ["recent", "oldest", "cost", "calls"])
def test_cursor_pages_cover_every_session_once(
    sort: str, samples: Store, client: TestClient, key: str
) -> None:
    whole = all_pages(client, key, f"sort={sort}", 500)
    paged = all_pages(client, key, f"sort={sort}", 2)
    assert len(whole) == 7
    assert [s["sessionId"] for s in paged] == [s["sessionId"] for s in whole]
    if sort == "cost":
        costs = [s["costUSD"] for s in whole]
        assert costs == sorted(costs, reverse=True)


def test_filters(samples: Store, client: TestClient, key: str) -> None:
    whole = all_pages(client, key, "", 500)
    errs = all_pages(client, key, "hasErrors=true", 500)
    assert {s["sessionId"] for s in errs} == {s["sessionId"] for s in whole if s["errors"] + s["toolErrors"]}
    clean = all_pages(client, key, "hasErrors=false", 500)
    assert len(errs) + len(clean) == 7
    rich = all_pages(client, key, "minCost=0.05", 500)
    assert rich and all(s["costUSD"] + s["estimatedCostUSD"] >= 0.05 for s in rich)
    kind = whole[0]["kind"]
    assert all(s["kind"] == kind for s in all_pages(client, key, f"kind={kind}", 500))
    model = next(s["model"] for s in whole if s["model"])
    assert all_pages(client, key, f"model={model}", 500)
    assert all_pages(client, key, "model=no-such-model", 500) == []
    assert all_pages(client, key, "from=2100-01-01", 500) == []


@pytest.mark.parametrize(
    ("query", "param"),
    [("cursor=garbage", "cursor"), ("limit=0", "limit"), ("sort=size", "sort"), ("from=soon", "from")],
)
def test_bad_queries_are_422(query: str, param: str, client: TestClient, key: str) -> None:
    r = client.get(f"/api/v1/sessions?{query}", headers=auth(key))
    assert r.status_code == 422
    assert r.json()["error"]["param"] == param


def test_a_cursor_of_another_sort_is_refused(samples: Store, client: TestClient, key: str) -> None:
    cursor = client.get("/api/v1/sessions?limit=1&sort=cost", headers=auth(key)).json()["nextCursor"]
    r = client.get(f"/api/v1/sessions?limit=1&sort=recent&cursor={cursor}", headers=auth(key))
    assert r.status_code == 422 and r.json()["error"]["param"] == "cursor"


@pytest.mark.parametrize(
    "position", [["recent", 1, 2**64 - 1], ["recent", 2**64, 1], ["recent", 1e308, -1], ["recent", 1, "x"]]
)
def test_a_forged_cursor_out_of_range_is_a_422(
    samples: Store, client: TestClient, key: str, position: list[object]
) -> None:
    import base64
    import json

    cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")
    r = client.get(f"/api/v1/sessions?limit=1&sort=recent&cursor={cursor}", headers=auth(key))
    assert r.status_code == 422 and r.json()["error"]["param"] == "cursor"


def test_one_session_and_unknown_ids(samples: Store, client: TestClient, key: str) -> None:
    first = client.get("/api/v1/sessions?limit=1", headers=auth(key)).json()["sessions"][0]
    r = client.get(f"/api/v1/sessions/{first['sessionId']}", headers=auth(key))
    detail = r.json()
    models = detail.pop("models")  # one session also lists every model it called, its own first
    assert detail.pop("pruned") is None  # and whether retention pruned its text (store/retention.py)
    assert detail == first
    assert not models or (models[0]["provider"], models[0]["model"]) == (first["provider"], first["model"])
    for suffix in ("", "/history", "/tree"):
        missing = client.get(f"/api/v1/sessions/nope{suffix}", headers=auth(key))
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"


def test_history_is_in_order_with_tool_calls_joined(samples: Store, client: TestClient, key: str) -> None:
    sessions = all_pages(client, key, "", 500)
    with_tools = next(s for s in sessions if s["toolCalls"])
    sid = with_tools["sessionId"]
    body = client.get(f"/api/v1/sessions/{sid}/history?limit=5000", headers=auth(key)).json()
    assert body["total"] == with_tools["entries"] == len(body["entries"])
    positions = [e["pos"] for e in body["entries"]]
    assert positions == sorted(positions)
    assert next(raw for _, raw in samples.transcripts.records(sid)).startswith(b"{")
    assert [e["record"]["id"] for e in body["entries"] if e["record"] and "id" in e["record"]][:1]
    calls = [t for e in body["entries"] for t in e["toolCalls"]]
    assert len(calls) == with_tools["toolCalls"]
    assert all(t["status"] in ("ok", "error", "pending") and t["name"] for t in calls)
    llm = [e["llmCall"] for e in body["entries"] if e["llmCall"]]
    assert len(llm) == with_tools["llmCalls"]
    page = client.get(f"/api/v1/sessions/{sid}/history?limit=2&offset=1", headers=auth(key)).json()
    assert [e["pos"] for e in page["entries"]] == positions[1:3]
    assert page["nextOffset"] == (3 if body["total"] > 3 else None)


def test_tree_rolls_up_the_subagent(samples: Store, client: TestClient, key: str) -> None:
    sessions = all_pages(client, key, "", 500)
    child = next(s for s in sessions if s["parentSessionId"])
    tree = client.get(f"/api/v1/sessions/{child['parentSessionId']}/tree", headers=auth(key)).json()
    ids = [c["sessionId"] for c in tree["children"]]
    assert child["sessionId"] in ids
    expected = tree["costUSD"] + sum(c["total"]["costUSD"] for c in tree["children"])
    assert tree["total"]["costUSD"] == pytest.approx(expected, abs=1e-12)
    assert tree["total"]["sessions"] == 1 + sum(c["total"]["sessions"] for c in tree["children"])


def test_delete_removes_it_for_good(
    samples: Store, dirs: list, client: TestClient, key: str, make_key
) -> None:
    stats_key = make_key("stats:read")
    before = client.get("/api/v1/stats", headers=auth(stats_key)).json()["totals"]
    victim = max(all_pages(client, key, "", 500), key=lambda s: s["llmCalls"])
    sid = victim["sessionId"]
    assert client.delete(f"/api/v1/sessions/{sid}", headers=auth(key)).status_code == 403
    events_of = "SELECT count(*) FROM events WHERE session_id = :id"
    with samples.engine.connect() as conn:
        assert conn.execute(text(events_of), {"id": sid}).scalar() > 0  # ingest announced it
    deleter = make_key("sessions:delete", "sessions:read")
    r = client.delete(f"/api/v1/sessions/{sid}", headers=auth(deleter))
    assert r.status_code == 200 and r.json() == {"sessionId": sid, "deleted": True}
    assert client.get(f"/api/v1/sessions/{sid}", headers=auth(key)).status_code == 404
    assert client.delete(f"/api/v1/sessions/{sid}", headers=auth(deleter)).status_code == 404
    after = client.get("/api/v1/stats", headers=auth(stats_key)).json()["totals"]
    assert after["llmCalls"] == before["llmCalls"] - victim["llmCalls"]
    assert after["sessions"] == before["sessions"] - 1
    assert sid in samples.deleted_session_ids()
    with samples.engine.connect() as conn:  # nor can the stream replay it
        assert conn.execute(text(events_of), {"id": sid}).scalar() == 0
    ingest(samples, dirs, instance="test", estimate=False)  # re-ingest does not bring it back
    assert client.get(f"/api/v1/sessions/{sid}", headers=auth(key)).status_code == 404
    again = client.get("/api/v1/stats", headers=auth(stats_key)).json()["totals"]
    assert again["llmCalls"] == after["llmCalls"]


def test_scopes(samples: Store, client: TestClient, make_key) -> None:
    assert client.get("/api/v1/sessions").status_code == 401
    assert client.get("/api/v1/sessions", headers=auth(make_key("stats:read"))).status_code == 403


def test_history_json_splices_the_same_records_history_parses(
    samples: Store, client: TestClient, key: str
) -> None:
    import orjson

    from clawscope.analytics import browse

    for s in all_pages(client, key, "", 500):
        parsed = browse.history(samples, s["sessionId"], 5000, 0)
        assert orjson.loads(browse.history_json(samples, s["sessionId"], 5000, 0)) == parsed
        assert all(e["record"] is not None for e in parsed["entries"])


def test_large_pages_read_the_session_in_one_pass_with_the_same_result(
    samples: Store, client: TestClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clawscope.analytics import browse
    from clawscope.store import transcripts

    ids = [s["sessionId"] for s in all_pages(client, key, "", 500)]
    small = [browse.history(samples, i, 5000, 0) for i in ids]
    monkeypatch.setattr(transcripts, "_IN_LIST", 0)
    assert [browse.history(samples, i, 5000, 0) for i in ids] == small


def test_nul_bytes_are_422_not_a_database_error(client: TestClient, key: str, make_key) -> None:
    r = client.get("/api/v1/sessions?agent=a%00b", headers=auth(key))
    assert r.status_code == 422 and r.json()["error"]["param"] == "agent"
    r = client.get("/api/v1/sessions/a%00b", headers=auth(key))
    assert r.status_code == 422
    r = client.get("/api/v1/stats?channel=%00", headers=auth(make_key("stats:read")))
    assert r.status_code == 422 and r.json()["error"]["param"] == "channel"

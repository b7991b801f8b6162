"""`/api/v1/findings` and `/api/v1/sessions/{id}/findings` on SQLite and PostgreSQL: filters, cursor
pages, the session list, scope, errors, and the OpenAPI spec."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.store import Store
from tests.detect.doubles import FailedToolDetector
from tests.support import builders as b
from tests.support.server import auth

DET = {FailedToolDetector.id: FailedToolDetector()}


def failing(call_id: str, ts: str) -> list[dict]:
    call = b.assistant(tools=[b.tool_call(call_id, "exec", command="false")], ts=ts)
    return [call, b.tool_result(call_id, "exec", error=True, ts=ts)]


@pytest.fixture
def found(store: Store, tmp_path: Path) -> Store:
    sessions = b.state_dir(tmp_path / "openclaw")
    turns = [t for i in range(4) for t in failing(f"a{i}", f"2026-11-01T10:0{i}:00.000Z")]
    b.write_session(sessions, "s-a", [b.user("go"), *turns], key="agent:main:main")
    b.write_session(
        sessions, "s-b", [b.user("go"), *failing("b0", "2026-11-03T09:00:00.000Z")], key="agent:main:x"
    )
    b.write_session(sessions, "s-clean", [b.user("hi"), b.assistant()], key="agent:main:y")
    ingest(store, [tmp_path / "openclaw"], instance="i", estimate=False)
    detect(store, {}, detectors=DET, publish=False)
    return store


@pytest.fixture
def key(make_key) -> str:
    return make_key("sessions:read")


def get(client: TestClient, key: str, url: str, status: int = 200) -> dict:
    r = client.get(url, headers=auth(key))
    assert r.status_code == status, r.text
    return r.json()


def test_pages_cover_every_finding_once_newest_first(found: Store, client: TestClient, key: str) -> None:
    whole = get(client, key, "/api/v1/findings?limit=500")
    assert whole["nextCursor"] is None and len(whole["findings"]) == 5
    assert whole["findings"][0]["sessionId"] == "s-b"  # the newest first
    paged, cursor = [], None
    for _ in range(10):
        page = get(client, key, "/api/v1/findings?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        paged += page["findings"]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert [f["id"] for f in paged] == [f["id"] for f in whole["findings"]]
    f = whole["findings"][0]
    assert (f["family"], f["severity"], f["status"], f["agent"], f["instance"]) == (
        "tool_abuse",
        "warning",
        "open",
        "main",
        "i",
    )
    assert f["anchorEntryId"] in f["entryIds"] and f["firstAt"] == "2026-11-03T09:00:00.000Z"


def test_filters(found: Store, client: TestClient, key: str) -> None:
    def n(query: str) -> int:
        return len(get(client, key, f"/api/v1/findings?{query}")["findings"])

    assert n("session=s-a") == 4 and n("session=s-clean") == 0
    assert n("family=tool_abuse") == 5 and n("family=loop") == 0
    assert n("severity=warning") == 5 and n("severity=critical") == 0
    assert n("minSeverity=info") == 5 and n("minSeverity=critical") == 0
    assert n("agent=main") == 5 and n("agent=other") == 0
    assert n("from=2026-11-02") == 1 and n("to=2026-11-02") == 4
    assert n("from=2026-11-01T10:01Z&to=2026-11-01T10:03Z") == 2
    assert n("status=resolved") == 0 and n("status=all") == 5


def test_session_findings_and_resolution(found: Store, client: TestClient, key: str) -> None:
    a = get(client, key, "/api/v1/sessions/s-a/findings")
    assert a["sessionId"] == "s-a" and len(a["findings"]) == 4
    assert [f["firstAt"] for f in a["findings"]] == sorted(f["firstAt"] for f in a["findings"])
    assert get(client, key, "/api/v1/sessions/s-clean/findings") == {"sessionId": "s-clean", "findings": []}
    detect(found, {"test.failed-tool": {"ignore": ["exec"]}}, detectors=DET, publish=False)
    assert get(client, key, "/api/v1/findings")["findings"] == []
    assert len(get(client, key, "/api/v1/findings?status=resolved")["findings"]) == 5
    resolved = get(client, key, "/api/v1/sessions/s-a/findings")["findings"]
    assert {f["status"] for f in resolved} == {"resolved"} and len(resolved) == 4


def test_errors_and_scope(found: Store, client: TestClient, key: str, make_key) -> None:
    err = get(client, key, "/api/v1/sessions/nope/findings", 404)
    assert "nope" in str(err)
    assert "cursor" in str(get(client, key, "/api/v1/findings?cursor=garbage", 422))
    get(client, key, "/api/v1/findings?family=nonsense", 422)
    get(client, key, "/api/v1/findings?from=yesterday-ish", 422)
    get(client, make_key("stats:read"), "/api/v1/findings", 403)
    assert client.get("/api/v1/findings").status_code == 401


def test_in_the_openapi_spec(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/findings", "/api/v1/sessions/{session_id}/findings"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/v1/findings"]["get"]["parameters"]}
    assert {
        "family",
        "severity",
        "minSeverity",
        "agent",
        "session",
        "from",
        "to",
        "limit",
        "cursor",
    } <= params
    assert "Finding" in spec["components"]["schemas"]

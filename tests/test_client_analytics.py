"""The client's stats and sessions methods against a real server over a store ingested from the real
OpenClaw samples (both eras). The routes come from the analytics work: until they are merged this
module skips locally and fails under CI=true (tests/conftest.py `require`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from clawscope.cli import cli
from clawscope.client import Client, ClientError
from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.env import FIXTURES, require
from tests.support.server import LiveServer

SAMPLES = [FIXTURES / "openclaw-2026.3.24-jsonl", FIXTURES / "openclaw-2026.9.6-sqlite"]


@pytest.fixture
def store(store: Store) -> Store:
    ingest(store, SAMPLES, instance="test", estimate=False)
    return store


@pytest.fixture
def client(app: FastAPI, make_key: Callable[..., str]) -> Iterator[Client]:
    paths = set(app.openapi()["paths"])
    require(
        {"/api/v1/stats", "/api/v1/sessions", "/api/v1/sessions/{session_id}/tree"} <= paths,
        "the stats and sessions routes (analytics work) are not merged yet",
    )
    with LiveServer(app) as server, Client(server.url, make_key("admin")) as c:
        yield c


def cli_totals(db_url: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["stats", "--db", db_url, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    totals: dict[str, object] = json.loads(result.stdout)["totals"]
    return totals


def test_stats_equal_the_cli(client: Client, store: Store) -> None:
    api = client.stats()["totals"]
    cli_ = cli_totals(store.url)
    assert cli_["llmCalls"] == 21 and cli_["sessions"] == 7  # both samples (13 + 8 calls, 4 + 3 sessions)
    for name, value in cli_.items():
        if name in api:
            assert api[name] == pytest.approx(value), name


def test_stats_by_dimension(client: Client) -> None:
    totals = client.stats()["totals"]
    for method, by in (
        (client.stats_models, "model"),
        (client.stats_agents, "agent"),
        (client.stats_kinds, "kind"),
        (client.stats_channels, "channel"),
    ):
        out = method()
        assert out["by"] == by
        assert sum(g["llmCalls"] for g in out["groups"]) == totals["llmCalls"], by
    tools = client.stats_tools(top=5)
    assert sum(t["toolCalls"] for t in tools["tools"]) == totals["toolCalls"] == 5
    assert client.stats_by("providers")["by"] == "provider"
    compare = client.stats_compare("2020-01-01", "2030-01-01")
    assert compare["current"]["totals"]["llmCalls"] == totals["llmCalls"]
    forecast = client.stats_forecast(at="2026-03-25")
    assert forecast["method"] and forecast["month"].startswith("2026-03")
    with pytest.raises(ClientError) as exc:
        client.stats(from_="not a date")
    assert (exc.value.status, exc.value.param) == (422, "from")


def test_sessions_pages_filters_and_iterator(client: Client) -> None:
    everything = client.sessions(limit=500)
    assert everything["nextCursor"] is None
    ids = [s["sessionId"] for s in everything["sessions"]]
    assert len(ids) == len(set(ids)) >= 7
    assert [s["sessionId"] for s in client.iter_sessions(limit=2)] == ids  # cursor followed, same order
    first = client.sessions(limit=2)
    assert len(first["sessions"]) == 2 and first["nextCursor"]
    agent = everything["sessions"][0]["agent"]
    assert {s["agent"] for s in client.iter_sessions(agent=agent, limit=3)} == {agent}
    with_errors = list(client.iter_sessions(has_errors=True))
    assert 0 < len(with_errors) < len(ids)
    with pytest.raises(ClientError) as exc:
        client.sessions(cursor="garbage")
    assert (exc.value.status, exc.value.param) == (422, "cursor")


def test_session_history_tree_and_delete(client: Client) -> None:
    sessions = client.sessions(limit=500)["sessions"]
    sid = max(sessions, key=lambda s: s.get("llmCalls") or 0)["sessionId"]
    assert client.session(sid)["sessionId"] == sid
    history = client.history(sid, limit=2)
    assert [e["pos"] for e in history["entries"]] == sorted(e["pos"] for e in history["entries"])
    assert history["total"] > 2 and history["nextOffset"] == 2
    rest = client.history(sid, limit=5000, offset=2)
    assert len(history["entries"]) + len(rest["entries"]) == history["total"]
    assert client.tree(sid)["sessionId"] == sid
    assert client.delete_session(sid) == {"sessionId": sid, "deleted": True}
    with pytest.raises(ClientError) as exc:
        client.session(sid)
    assert (exc.value.status, exc.value.code) == (404, "not_found")

"""The MCP server: an MCP client of the official SDK lists the tools and gets what the REST API gives,
over streamable HTTP (API keys and scopes as the REST API) and over stdio (`clawscope mcp`)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from clawscope.audit.canonical import loads
from clawscope.demo import generate
from clawscope.exports import mcp as clawscope_mcp
from clawscope.ingest import ingest
from clawscope.store import Store
from tests.support.auditdir import R1
from tests.support.env import ROOT
from tests.support.server import auth, free_port
from tests.support.vectors import VECTORS

TOOLS = {"stats", "list_sessions", "open_session", "verify_receipt", "list_findings", "list_alerts"}


@pytest.fixture
def filled(store: Store, tmp_path: Path) -> Store:
    generate(tmp_path / "demo", sessions=10, agents=2, era="jsonl", seed=8)
    ingest(store, [tmp_path / "demo"], instance="test", estimate=True)
    return store


class McpHttp:
    def __init__(self, store: Store) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = clawscope_mcp.build(store, auth_url=self.url).streamable_http_app(host="127.0.0.1")
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> McpHttp:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture
def mcp_http(filled: Store) -> Iterator[McpHttp]:
    with McpHttp(filled) as server:
        yield server


def call(url: str, key: str | None, calls: list[tuple[str, dict[str, Any]]]) -> tuple[set[str], list[Any]]:
    """List the tools, then make the calls; structured results (or the error text)."""

    async def main() -> tuple[set[str], list[Any]]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
        ):
            names = {t.name for t in (await client.list_tools()).tools}
            out = []
            for name, args in calls:
                r = await client.call_tool(name, args)
                out.append(r.content[0].text if r.is_error else r.structured_content)  # type: ignore[union-attr]
            return names, out

    return anyio.run(main)


def same(a: Any, b: Any) -> None:
    left, right = json.loads(json.dumps(a)), json.loads(json.dumps(b))
    if left != right:
        print("MCP ", json.dumps(left, sort_keys=True)[:600])
        print("REST", json.dumps(right, sort_keys=True)[:600])
    assert left == right


def test_tools_answer_what_the_rest_api_answers(mcp_http: McpHttp, client: TestClient, make_key) -> None:
    key = make_key("stats:read", "sessions:read")
    rest = lambda path, **p: client.get(path, params=p, headers=auth(key)).json()  # noqa: E731
    page = rest("/api/v1/sessions", limit=3)
    sid = page["sessions"][0]["sessionId"]
    names, got = call(
        mcp_http.url,
        key,
        [
            ("stats", {}),
            ("stats", {"by": "model"}),
            ("stats", {"by": "trigger", "since": "2026-01-01", "agent": "main"}),
            ("stats", {"by": "tool", "top": 5}),
            ("list_sessions", {"limit": 3}),
            ("list_sessions", {"limit": 3, "cursor": page["nextCursor"]}),
            ("open_session", {"session_id": sid, "limit": 50}),
        ],
    )
    assert names == TOOLS
    same(got[0], rest("/api/v1/stats"))
    same(got[1], rest("/api/v1/stats/models"))
    same(got[2], rest("/api/v1/stats/triggers", **{"from": "2026-01-01", "agent": "main"}))
    same(got[3], rest("/api/v1/stats/tools", top=5))
    same(got[4], page)
    same(got[5], rest("/api/v1/sessions", limit=3, cursor=page["nextCursor"]))
    same(got[6]["session"], rest(f"/api/v1/sessions/{sid}"))
    same(got[6]["history"], rest(f"/api/v1/sessions/{sid}/history", limit=50))
    assert got[1]["groups"] and got[6]["history"]["entries"]


def test_scopes_and_keys_as_the_rest_api(mcp_http: McpHttp, make_key) -> None:
    _, got = call(mcp_http.url, make_key("stats:read"), [("list_sessions", {}), ("stats", {"by": "agent"})])
    assert "lacks the scope 'sessions:read'" in got[0]
    assert got[1]["groups"]
    r = httpx.post(f"{mcp_http.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert r.status_code == 401
    r = httpx.post(f"{mcp_http.url}/mcp", json={}, headers=auth("cs_nope_nope"))
    assert r.status_code == 401


def test_verify_receipt_as_the_rest_api(mcp_http: McpHttp, client: TestClient, make_key) -> None:
    key = make_key("audit:read")
    vector = (VECTORS / "wire02" / "receipts-jws" / f"{R1}.jws").read_text()
    public = (VECTORS / "keys" / "public.jwk").read_text()
    body = {"items": [{"content": vector}], "public_key": loads(public.encode())}
    want = client.post("/api/v1/receipts/verify", json=body, headers=auth(key)).json()
    tampered = vector[:-3] + ("A" if vector[-3] != "A" else "B") + vector[-2:]
    _, got = call(
        mcp_http.url,
        key,
        [
            ("verify_receipt", {"content": vector, "public_key": public}),
            ("verify_receipt", {"content": tampered, "public_key": public}),
        ],
    )
    same(got[0], want)
    assert got[0]["ok"] is True
    assert got[1]["ok"] is False and got[1]["results"][0]["code"] == "E_SIGNATURE_INVALID"


def test_stdio_lists_the_tools_and_answers(filled: Store, client: TestClient, make_key) -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "clawscope.cli", "mcp", "--db", filled.url],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )

    async def main() -> tuple[set[str], Any]:
        async with Client(params) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            return names, (await c.call_tool("stats", {"by": "agent"})).structured_content

    names, got = anyio.run(main)
    assert names == TOOLS
    same(got, client.get("/api/v1/stats/agents", headers=auth(make_key("stats:read"))).json())


def test_extra_tools_are_the_extension_point(store: Store, monkeypatch) -> None:
    """A package adds a tool through `EXTRA_TOOLS` (as `findings_mcp` adds `list_findings` and `alerts_mcp`
    `list_alerts`); one not added is absent."""

    def extra(server: Any, _store: Store) -> None:
        @server.tool()
        async def list_extra(limit: int = 10) -> dict[str, Any]:
            """Extra."""
            clawscope_mcp.require("sessions:read")
            return {"extra": [], "limit": limit}

    async def main(server: Any) -> tuple[set[str], Any]:
        async with Client(server) as c:
            names = {t.name for t in (await c.list_tools()).tools}
            found = (
                (await c.call_tool("list_extra", {"limit": 3})).structured_content
                if "list_extra" in names
                else None
            )
            return names, found

    assert anyio.run(main, clawscope_mcp.build(store))[0] == TOOLS
    monkeypatch.setattr(clawscope_mcp, "EXTRA_TOOLS", [*clawscope_mcp.EXTRA_TOOLS, extra])
    names, found = anyio.run(main, clawscope_mcp.build(store))
    assert names == TOOLS | {"list_extra"} and found == {"extra": [], "limit": 3}

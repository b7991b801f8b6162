"""Benchmark of the live stream: SSE delivery latency to many subscribers.

A real server (`uvicorn --factory clawscope.web.app:app_from_env`, its own process) serves
`/api/v1/openclaw/stream`; this process holds N SSE connections and publishes events in two ways:
* **webhook**: signed `after_tool_call` envelopes POSTed to the server (stored, then woken in-process);
* **other process**: events appended to the database by this process (the server's bus finds them by
  polling on SQLite every `stream_poll_ms`, or through LISTEN/NOTIFY on PostgreSQL).
Latency = arrival at a subscriber − the moment the publish call started, over every (event,
subscriber) pair. The baseline is the same run with one subscriber. Target: p99 < 500 ms with 200
subscribers. Results go to bench/RESULTS.md (section "sse"). No timing is asserted.

    .venv/bin/python bench/sse.py [--subscribers 200] [--events 50] [--rate 20] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from clawscope import webhooks
from clawscope.dburl import sqlite_url
from clawscope.store import Event, Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.results import write_section  # noqa: E402

SECRET = "bench-secret"
TARGET_P99_MS = 500.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CLAWSCOPE_DB": db,
        "CLAWSCOPE_HOME": str(home),
        "CLAWSCOPE_EVENTS_SECRET": SECRET,
        "CLAWSCOPE_CONFIG": str(home / "none.toml"),
    }
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "clawscope.web.app:app_from_env"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--backlog", "4096"]
    proc = subprocess.Popen(cmd, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


async def subscriber(
    client: httpx.AsyncClient,
    url: str,
    key: str,
    ready: asyncio.Event,
    arrivals: list[tuple[str, float]],
    n: int,
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with client.stream("GET", url + "/api/v1/openclaw/stream", headers=headers) as resp:
        resp.raise_for_status()
        got = 0
        async for line in resp.aiter_lines():
            if line == ": connected":
                ready.set()
            elif line.startswith("data: "):
                arrivals.append((_tag(json.loads(line[6:])), time.monotonic()))
                got += 1
                if got >= n:
                    return


def _tag(ev: dict[str, Any]) -> str:
    data = ev["data"]
    return str(data.get("callId") or data.get("tag"))


async def run_case(
    url: str, db: str, key: str, subs: int, events: int, rate: float, mode: str
) -> list[float]:
    limits = httpx.Limits(max_connections=subs + 20, max_keepalive_connections=subs + 20)
    timeout = httpx.Timeout(60, read=60)
    arrivals: list[tuple[str, float]] = []
    sent: dict[str, float] = {}
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        readies = [asyncio.Event() for _ in range(subs)]
        tasks = [asyncio.create_task(subscriber(client, url, key, r, arrivals, events)) for r in readies]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
        await asyncio.sleep(0.5)
        store = Store(db) if mode == "other process" else None
        try:
            for i in range(events):
                tag = f"{mode[:5]}-{i}-{time.time_ns()}"
                sent[tag] = time.monotonic()
                if store is not None:
                    await asyncio.to_thread(store.events.append, [Event("tool.call", {"tag": tag})])
                else:
                    await post_event(client, url, tag)
                await asyncio.sleep(1 / rate)
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
        finally:
            if store is not None:
                store.close()
    return [(t - sent[tag]) * 1000 for tag, t in arrivals if tag in sent]


async def post_event(client: httpx.AsyncClient, url: str, tag: str) -> None:
    env = {"event": "after_tool_call", "data": {"toolName": "exec", "toolCallId": tag, "durationMs": 3}}
    body = json.dumps(env).encode()
    headers = {
        "Content-Type": "application/json",
        "X-OpenClaw-Signature": webhooks.signature(SECRET.encode(), body),
    }
    r = await client.post(url + "/api/v1/openclaw/events", content=body, headers=headers)
    r.raise_for_status()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=200)
    ap.add_argument("--events", type=int, default=50)
    ap.add_argument("--rate", type=float, default=20.0, help="events per second")
    ap.add_argument("--db", default="", help="database URL (default: a SQLite file in a temp dir)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = args.db or sqlite_url(home / "bench.db")
        with Store(db) as store:
            key, _ = store.keys.create("bench", ("stats:read",), 1_000_000)
        proc, url = start_server(db, home)
        rows = []
        try:
            for mode in ("webhook", "other process"):
                for subs in (1, args.subscribers):
                    lat = asyncio.run(run_case(url, db, key, subs, args.events, args.rate, mode))
                    expected = subs * args.events
                    rows.append((mode, subs, lat, expected))
                    p50, p99 = statistics.median(lat), pct(lat, 99)
                    print(
                        f"{mode:14} {subs:4} subscribers: {len(lat)}/{expected} delivered, "
                        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms"
                    )
        finally:
            proc.terminate()
            proc.wait(20)
    report(rows, args, db)


def report(rows: list[tuple[str, int, list[float], int]], args: argparse.Namespace, db: str) -> None:
    backend = "PostgreSQL" if db.startswith("postgres") else "SQLite"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    wake = "LISTEN/NOTIFY" if backend == "PostgreSQL" else "poll 100 ms"
    lines = [
        f"{args.events} events at {args.rate:g}/s, fanned out to each subscriber of one server process "
        f"({backend}, {wake}); Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load} (a shared machine).",
        "",
        "| publisher | subscribers | delivered | p50 ms | p99 ms | max ms | p99 / 1-subscriber p99 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    base: dict[str, float] = {}
    verdicts = []
    for mode, subs, lat, expected in rows:
        p99 = pct(lat, 99)
        base.setdefault(mode, p99)
        lines.append(
            f"| {mode} | {subs} | {len(lat)}/{expected} | {statistics.median(lat):.1f} | {p99:.1f} | "
            f"{max(lat):.1f} | {p99 / base[mode]:.2f}× |"
        )
        if subs == args.subscribers:
            ok = p99 < TARGET_P99_MS and len(lat) == expected
            verdicts.append(
                f"{mode}: p99 {p99:.0f} ms with {subs} subscribers "
                f"(target < {TARGET_P99_MS:.0f} ms, no loss): " + ("met" if ok else "NOT met")
            )
    lines += ["", "Target: " + "; ".join(verdicts) + "."]
    body = "\n".join(lines)
    print("\n" + body)
    if not args.no_write:
        name = "sse-postgres" if backend == "PostgreSQL" else "sse"
        write_section(
            name, "bench/sse.py" + (" --db postgresql://…" if backend == "PostgreSQL" else ""), body
        )


if __name__ == "__main__":
    main()

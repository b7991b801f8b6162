"""Webhook benchmark: sustained signed session webhooks against `clawscope serve --workers 2` on loopback.

    .venv/bin/python bench/webhook.py [--seconds 10] [--concurrency 32] [--db URL] [--workers 2]

Registers an instance and an agent, starts the server as a subprocess, then keeps `--concurrency`
requests in flight for `--seconds`, each a new session of 20 messages (user prompt, assistant with a
tool call, tool result, assistant answer; ×5) with real usage and cost, signed, with a fresh nonce.
Reports accepted sessions/s and p50/p99 latency, then checks the database: every accepted session
stored exactly once, with all its entries, model calls and tool calls (zero loss, no doubles).
Targets: ≥ 1,000 sessions/s, p99 < 100 ms, zero loss. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from clawscope import webhooks  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.store import Store  # noqa: E402
from results import write_section  # noqa: E402

ROUNDS = 5  # × (user, assistant+toolCall, toolResult, assistant) = 20 messages
SID = "00000000-0000-4000-8000-000000000000"


def template() -> bytes:
    recs: list[dict[str, object]] = [
        {"type": "session", "version": 3, "id": SID, "timestamp": "2026-11-01T10:00:00.000Z", "cwd": "/work"}
    ]
    usage = {
        "input": 1200,
        "output": 80,
        "cacheRead": 300,
        "cacheWrite": 0,
        "totalTokens": 1580,
        "cost": {"input": 0.0036, "output": 0.0012, "cacheRead": 0.00009, "cacheWrite": 0, "total": 0.00489},
    }
    parent = SID
    for i in range(ROUNDS):
        ts = f"2026-11-01T10:{i:02d}:00.000Z"
        base = {
            "provider": "anthropic",
            "model": "claude-sonnet-4",
            "api": "anthropic-messages",
            "usage": usage,
        }
        msgs = [
            {
                "role": "user",
                "content": [{"type": "text", "text": f"Please check the build log, step {i}. " * 4}],
            },
            {
                **base,
                "role": "assistant",
                "stopReason": "toolUse",
                "content": [
                    {"type": "text", "text": "Let me look at it."},
                    {
                        "type": "toolCall",
                        "id": f"call_{i}",
                        "name": "exec",
                        "arguments": {"command": f"tail -n 50 build-{i}.log"},
                    },
                ],
            },
            {
                "role": "toolResult",
                "toolCallId": f"call_{i}",
                "toolName": "exec",
                "content": [{"type": "text", "text": "ok: compiled 412 files\n" * 20}],
                "details": {"status": "completed", "exitCode": 0, "durationMs": 41},
                "isError": False,
            },
            {
                **base,
                "role": "assistant",
                "stopReason": "stop",
                "content": [{"type": "text", "text": "The build is green. " * 5}],
            },
        ]
        for j, m in enumerate(msgs):
            eid = f"e{i}{j}"
            recs.append({"type": "message", "id": eid, "parentId": parent, "timestamp": ts, "message": m})
            parent = eid
    payload = {
        "session_id": SID,
        "agent_name": "bench",
        "status": "completed",
        "message_count": 20,
        "entries": recs,
    }
    return json.dumps(payload).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, port: int, workers: int, log: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", "from clawscope.cli import main; main()", "serve", "--no-live", "--db", db]
    cmd += ["--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    err = log.open("wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


async def load(
    url: str, key: str, secret: bytes, body: bytes, seconds: float, conc: int
) -> tuple[list[float], list[str], dict[int, int]]:
    latencies: list[float] = []
    accepted: list[str] = []
    statuses: dict[int, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < stop:
                sid = str(uuid.uuid4())
                b = body.replace(SID.encode(), sid.encode())
                stamp = str(int(time.time()))
                sig = webhooks.signature(secret, b, timestamp=stamp)
                headers = {
                    "Content-Type": "application/json",
                    "X-Clawscope-API-Key": key,
                    "X-Clawscope-Timestamp": stamp,
                    "X-Clawscope-Nonce": secrets.token_hex(12),
                    "X-Clawscope-Signature": sig,
                }
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, content=b, headers=headers)
                    code = r.status_code
                except httpx.TransportError:
                    code = 0
                latencies.append(time.perf_counter() - t0)
                statuses[code] = statuses.get(code, 0) + 1
                if code == 200:
                    accepted.append(sid)

        await asyncio.gather(*(worker() for _ in range(conc)))
    return latencies, accepted, statuses


def verify(db: str, accepted: list[str]) -> dict[str, int]:
    with Store(db) as store, store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT session_id, n_entries, n_llm_calls, n_tool_calls FROM sessions")
        ).all()
        dup_entries = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT sid, entry_id FROM entries "
                + "GROUP BY sid, entry_id HAVING count(*) > 1) d"
            )
        ).scalar_one()
    by_id = {r[0]: r for r in rows}
    missing = [s for s in accepted if s not in by_id]
    incomplete = [s for s in accepted if s in by_id and tuple(by_id[s][1:]) != (21, 10, 5)]
    return {
        "accepted": len(accepted),
        "stored": len(set(accepted) & set(by_id)),
        "missing": len(missing),
        "incomplete": len(incomplete),
        "duplicate_entries": int(dup_entries),
        "sessions_in_db": len(rows),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (the uvicorn workers), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", default=None, help="database URL (default: a new SQLite file)")
    ap.add_argument("--server-log", type=Path, default=None, help="write the server's stderr here")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="clawscope-webhook-bench-"))
    db = args.db or sqlite_url(tmp / "bench.db")
    schema = None
    if db.startswith("postgres"):  # a fresh schema of its own, dropped afterwards
        import psycopg

        schema = "bench_" + uuid.uuid4().hex[:8]
        raw = db.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(raw, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        db = f"{db}{'&' if '?' in db else '?'}options=-csearch_path%3D{schema}"
    try:
        run(args, db)
    finally:
        if schema is not None:
            with psycopg.connect(raw, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def run(args: argparse.Namespace, db: str) -> None:
    with Store(db) as store:
        key, _ = store.keys.create("bench", ("ingest:write",), 10_000_000)
        reg = store.remote
        inst = reg.add_instance(f"bench-{uuid.uuid4().hex[:6]}", "http://127.0.0.1:18789", None)
        _, secret = reg.add_agent(inst.instance_id, "bench", None, None)
    body = template().replace(
        b'"agent_name": "bench"', f'"agent_name": "bench", "instance_id": "{inst.instance_id}"'.encode()
    )
    port = free_port()
    proc = start_server(db, port, args.workers, args.server_log)
    try:
        url = f"http://127.0.0.1:{port}/api/v1/openclaw/webhook"
        asyncio.run(load(url, key, secret.encode(), body, 1.0, 4))  # warm-up (not counted)
        cpu0 = cpu_seconds(proc.pid)
        t0 = time.monotonic()
        lat, accepted, statuses = asyncio.run(
            load(url, key, secret.encode(), body, args.seconds, args.concurrency)
        )
        wall = time.monotonic() - t0
        cpu = cpu_seconds(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    rate = len(accepted) / wall
    per_ms = cpu * 1000 / max(1, len(accepted))
    p50, p99 = pct(lat, 0.50), pct(lat, 0.99)
    check = verify(db, accepted)
    lossless = check["missing"] == 0 and check["incomplete"] == 0 and check["duplicate_entries"] == 0
    backend = "PostgreSQL" if db.startswith("postgres") else "SQLite"
    load_avg = ", ".join(f"{x:.1f}" for x in os.getloadavg())

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [
        f"{backend}, `clawscope serve --workers {args.workers}`, {args.concurrency} requests in flight for "
        f"{args.seconds:.0f} s from one asyncio client process on the same machine; sessions of 20 messages "
        f"({len(body)} bytes, 5 model calls, 5 tool calls), each signed with a fresh nonce. Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, load average {load_avg}.",
        "",
        f"- accepted: {len(accepted)} sessions in {wall:.1f} s = **{rate:.0f} sessions/s** "
        f"(target ≥ 1,000): {verdict(rate >= 1000)}",
        f"- latency p50 {p50:.1f} ms, p99 **{p99:.1f} ms** (target < 100 ms): {verdict(p99 < 100)}",
        f"- responses: {dict(sorted(statuses.items()))}",
        f"- server CPU: {cpu:.1f} s for {len(accepted)} sessions = {per_ms:.1f} ms per session; the server "
        f"got {cpu / wall:.2f} of the {os.cpu_count()} cores (shared machine); at {per_ms:.1f} ms two idle "
        f"cores would take ≈ {2000 / per_ms:.0f} sessions/s",
        f"- stored afterwards: {check['stored']} of {check['accepted']} accepted, "
        f"{check['missing']} missing, {check['incomplete']} incomplete, "
        + f"{check['duplicate_entries']} duplicate entries "
        f"(target zero loss): {verdict(lossless)}",
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section(f"webhook-{backend.lower()}", "bench/webhook.py", report)


if __name__ == "__main__":
    main()

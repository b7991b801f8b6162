"""Time from a transcript line OpenClaw appends to its `detection` event on the SSE stream.

A real `clawscope serve --state DIR --no-auth` (its own process, SQLite) follows a JSONL state dir; this
process holds one SSE subscription (`type=detection`) and appends, N times, an assistant line calling
`exec` with `sudo rm -rf /etc/…` and its tool result (what the `elevated_risk` family flags). Latency =
arrival of the first `detection` event citing that call's entry − the moment the lines were written
(file-system event → live-ingest pass → detectors on the touched session → event log → bus → SSE).
Used by `bench/detect.py --latency N`; the target is a median under 2 s. No timing is asserted.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from clawscope.dburl import sqlite_url

ROOT = Path(__file__).resolve().parents[1]
SESSION = "0b5e55ed-0000-4000-8000-00000000beef"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def _state(root: Path) -> Path:
    sessions = root / "agents" / "main" / "sessions"
    sessions.mkdir(parents=True)
    (root / "openclaw.json").write_text("{}")
    now = time.time()
    header = {"type": "session", "version": 3, "id": SESSION, "timestamp": _iso(now), "cwd": str(root)}
    user = {
        "type": "message",
        "id": "u0",
        "parentId": None,
        "timestamp": _iso(now),
        "message": {"role": "user", "content": [{"type": "text", "text": "clean up"}], "timestamp": 0},
    }
    (sessions / f"{SESSION}.jsonl").write_text(json.dumps(header) + "\n" + json.dumps(user) + "\n")
    key = "agent:main:main"
    (sessions / "sessions.json").write_text(json.dumps({key: {"sessionId": SESSION, "updatedAt": 0}}))
    return sessions / f"{SESSION}.jsonl"


def _lines(n: int) -> tuple[str, str]:
    """(the call's entry id, two JSONL lines: the exec call and its result)."""
    call_id, entry = f"call_{n}", uuid.uuid4().hex[:8]
    now = _iso(time.time())
    call = {
        "type": "message",
        "id": entry,
        "parentId": None,
        "timestamp": now,
        "message": {
            "role": "assistant",
            "content": [
                {
                    "type": "toolCall",
                    "id": call_id,
                    "name": "exec",
                    "arguments": {"command": f"sudo rm -rf /etc/x{n}"},
                }
            ],
            "api": "openai-completions",
            "provider": "fake",
            "model": "fake-model",
            "usage": {"input": 100, "output": 10, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 110},
            "stopReason": "toolUse",
            "timestamp": 0,
        },
    }
    result = {
        "type": "message",
        "id": uuid.uuid4().hex[:8],
        "parentId": entry,
        "timestamp": now,
        "message": {
            "role": "toolResult",
            "toolCallId": call_id,
            "toolName": "exec",
            "isError": True,
            "content": [{"type": "text", "text": "sudo: command not found"}],
            "details": {"status": "error", "exitCode": 127},
            "timestamp": 0,
        },
    }
    return entry, json.dumps(call) + "\n" + json.dumps(result) + "\n"


def _listen(url: str, out: queue.Queue[tuple[float, dict[str, Any]]], ready: threading.Event) -> None:
    try:
        _read(url, out, ready)
    except httpx.HTTPError:
        return  # the server stopped at the end of the measurement


def _read(url: str, out: queue.Queue[tuple[float, dict[str, Any]]], ready: threading.Event) -> None:
    params = {"type": "detection"}
    with (
        httpx.Client(timeout=httpx.Timeout(10, read=None)) as client,
        client.stream("GET", url + "/api/v1/openclaw/stream", params=params) as resp,
    ):
        for line in resp.iter_lines():
            if line == ": connected":
                ready.set()
            elif line.startswith("data: "):
                out.put((time.monotonic(), json.loads(line[6:])))


def measure(work: Path, samples: int) -> dict[str, Any]:
    """Median, p95 and max seconds from append to event over `samples` appends (None when nothing fired)."""
    path = _state(work / "latency-state")
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "HOME": str(work),
        "CLAWSCOPE_CONFIG": str(work / "none"),
    }
    cmd = [sys.executable, "-m", "clawscope.cli", "serve", "--state", str(path.parents[3]), "--no-auth"]
    cmd += ["--port", str(port), "--db", sqlite_url(work / "latency.db")]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("clawscope serve did not start")
            time.sleep(0.1)
        events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=_listen, args=(url, events, ready), daemon=True).start()
        if not ready.wait(15):
            raise SystemExit("the SSE stream did not connect")
        time.sleep(1.0)  # let the first live-ingest pass settle
        latencies: list[float] = []
        for n in range(samples):
            entry, text = _lines(n)
            with path.open("a") as fh:
                fh.write(text)
            start = time.monotonic()
            while time.monotonic() - start < 10:
                try:
                    at, ev = events.get(timeout=10 - (time.monotonic() - start))
                except queue.Empty:
                    break
                if entry in ev["data"].get("entryIds", []):
                    latencies.append(at - start)
                    break
            time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(10)
    if not latencies:
        return {"samples": samples, "events": 0, "median_s": None, "p95_s": None, "max_s": None}
    latencies.sort()
    return {
        "samples": samples,
        "events": len(latencies),
        "median_s": statistics.median(latencies),
        "p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "max_s": latencies[-1],
    }

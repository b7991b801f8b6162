"""Alerts benchmark: how soon an alert reaches its receiver, and what 100 active rules cost ingest.

    .venv/bin/python bench/alerts.py [--alerts 50] [--sessions 300] [--repeat 3]

(a) line → alert: `clawscope serve --no-auth` runs as a real process following a JSONL state dir, with
    one rule (a session over $1) whose webhook channel is a receiver in this process on loopback. Each
    round (--pause seconds after the previous alert) writes a transcript whose one model call costs
    $1.50 and times it until the signed alert arrives; median and p99 over --alerts rounds. Target: < 2 s.
(b) ingest with 100 rules vs none: a generated demo state (--sessions) arrives in --chunks batches, an
    ingest pass after each into a fresh SQLite database (the time in passes is measured), alone (the
    baseline, same run) and with the alert service of `serve` (notified after every pass, evaluating
    100 rules: threshold, per-session, budget and anomaly, over several scopes, in its own thread while
    the next pass runs). --repeat pairs in alternating order; the overhead is the median of the
    pairs' ratios (the machine's load changes between runs). Target: < 10 % slower.

Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from clawscope.alerts.manage import add_rule  # noqa: E402
from clawscope.alerts.service import AlertService  # noqa: E402
from clawscope.dburl import sqlite_url  # noqa: E402
from clawscope.demo import generate  # noqa: E402
from clawscope.ingest import ingest  # noqa: E402
from clawscope.store import Store  # noqa: E402
from clawscope.timeutil import iso_ms, now_ms  # noqa: E402
from results import write_section  # noqa: E402

OUT = HERE / "out" / "alerts"


class Receiver:
    """Records when each alert (by scope) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with receiver.cond:
                    receiver.arrived[body["data"]["scope"]] = time.perf_counter()
                    receiver.cond.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alert"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, scope: str, timeout_s: float = 30) -> float:
        with self.cond:
            self.cond.wait_for(lambda: scope in self.arrived, timeout_s)
            return self.arrived[scope]


def line(session_id: str, at: int, cost: float) -> str:
    msg = {
        "role": "assistant", "content": [{"type": "text", "text": "ok"}], "api": "anthropic-messages",
        "provider": "anthropic", "model": "claude-sonnet-4-5", "stopReason": "stop", "timestamp": at,
        "usage": {"input": 1000, "output": 50, "cacheRead": 0, "cacheWrite": 0, "totalTokens": 1050,
                  "cost": {"input": cost, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": cost}},
    }  # fmt: skip
    head = {"type": "session", "version": 3, "id": session_id, "timestamp": iso_ms(at - 1000), "cwd": "/w"}
    entry = {
        "type": "message",
        "id": f"{session_id[-8:]}",
        "parentId": None,
        "timestamp": iso_ms(at),
        "message": msg,
    }
    return json.dumps(head) + "\n" + json.dumps(entry) + "\n"


def latency(n: int, pause_s: float) -> list[float]:
    state = OUT / "latency-state"
    shutil.rmtree(state, ignore_errors=True)
    sessions = state / "agents" / "main" / "sessions"
    sessions.mkdir(parents=True)
    (state / "openclaw.json").write_text("{}")
    db = OUT / "latency.db"
    db.unlink(missing_ok=True)
    url = sqlite_url(db)
    receiver = Receiver()
    with Store(url) as store:
        hook = {"kind": "webhook", "url": receiver.url, "secret": "s"}
        rule = {"id": "big", "name": "over $1", "measure": "session_cost", "threshold": 1, "window": "1h"}
        add_rule(store, {**rule, "channels": [hook]})
    port = free_port()
    env = {**os.environ, "CLAWSCOPE_HOME": str(OUT / "home"), "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", "from clawscope.cli import main; main()", "serve", "--no-auth", "--port",
           str(port), "--db", url, "--state", str(state), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    try:
        wait_up(f"http://127.0.0.1:{port}/api/v1/health")
        time.sleep(1.0)
        for i in range(n):
            sid = f"bench-{i:04d}-0000-0000-000000000000"
            t0 = time.perf_counter()
            (sessions / f"{sid}.jsonl").write_text(line(sid, now_ms(), 1.5))
            samples.append((receiver.wait(f"session={sid}") - t0) * 1000)
            time.sleep(pause_s)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        receiver.server.shutdown()
    return samples


def hundred_rules(store: Store) -> None:
    agents = ["main", "work", "research", "*"]
    for i in range(100):
        scope = {"agent": agents[i % 4]} if i % 5 else {}
        kind = i % 10
        if kind < 4:
            measure = ["cost", "calls", "error_rate", "tokens"][kind]
            raw = {"measure": measure, "threshold": 1.0 if measure == "error_rate" else 10**6}
            raw["window"] = ["1h", "24h", "day", "7d"][i % 4]
        elif kind < 7:
            raw = {"measure": "session_cost", "threshold": 10**6, "window": "24h"}
            scope = {k: v for k, v in scope.items() if v != "*"}
        elif kind < 9:
            raw = {"type": "budget", "amount": 10**6, "period": ["day", "week", "month"][i % 3]}
            scope = {k: v for k, v in scope.items() if v != "*"}
        else:
            raw = {"type": "anomaly", "measure": "calls"}
        add_rule(store, {"id": f"r{i}", "name": f"rule {i}", "scope": scope, **raw})


def ingest_time(state: Path, rules: bool, chunks: int) -> float:
    """Seconds spent in ingest passes while the demo's transcripts arrive in `chunks` batches (a pass
    after each, as live ingest makes them); with `rules`, the alert service runs as in `serve`:
    notified after each pass, evaluating in its own thread while the next pass runs."""
    db = OUT / "ingest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    grow = OUT / "grow-state"
    shutil.rmtree(grow, ignore_errors=True)
    shutil.copytree(state, grow, ignore=shutil.ignore_patterns("*.jsonl*"))
    files = sorted(state.glob("agents/*/sessions/*.jsonl*"))
    took = 0.0
    with Store(sqlite_url(db)) as store:
        service = None
        if rules:
            hundred_rules(store)
            service = AlertService(store).start()
        for c in range(chunks):
            for f in files[c::chunks]:
                shutil.copy2(f, grow / f.relative_to(state))
            t0 = time.perf_counter()
            ingest(store, [grow], instance="bench")
            took += time.perf_counter() - t0
            if service is not None:
                service.notify()
        if service is not None:
            passes = service.passes
            service.stop()
            assert passes > 0, "the alert service never evaluated"
    return took


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("serve did not come up")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=50)
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chunks", type=int, default=20)
    ap.add_argument("--pause", type=float, default=1.5, help="seconds between rounds of (a)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"(a) line → alert over {args.alerts} alerts …", flush=True)
    lat = sorted(latency(args.alerts, args.pause))
    p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(f"    median {p50:.0f} ms, p99 {p99:.0f} ms", flush=True)
    state = OUT / "demo-state"
    if not (state / "demo-totals.json").exists():
        generate(state, sessions=args.sessions, agents=3, era="jsonl", seed=3)
    base, with_rules, ratios = [], [], []
    load_before = os.getloadavg()
    for r in range(args.repeat):  # paired and alternating, so a change of machine load hits both
        first_rules = r % 2 == 1
        one = ingest_time(state, first_rules, args.chunks)
        two = ingest_time(state, not first_rules, args.chunks)
        plain, ruled = (two, one) if first_rules else (one, two)
        base.append(plain)
        with_rules.append(ruled)
        ratios.append(ruled / plain)
        print(f"(b) run {r + 1}: no rules {plain:.2f} s, 100 rules {ruled:.2f} s", flush=True)
    load_after = os.getloadavg()
    b, w, ratio = statistics.median(base), statistics.median(with_rules), statistics.median(ratios)
    body = (
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}; load average {load_before[0]:.1f} before (b), "
        f"{load_after[0]:.1f} after.\n\n"
        f"| measure | value | target |\n|---|---:|---|\n"
        f"| line → alert at the receiver, median over {len(lat)} | {p50:.0f} ms | < 2 s |\n"
        f"| line → alert at the receiver, p99 | {p99:.0f} ms | < 2 s |\n"
        f"| ingest passes of a {args.sessions}-session demo, no rules (baseline, median of {args.repeat}) "
        f"| {b:.2f} s | |\n"
        f"| the same with 100 rules evaluated after each pass (median) | {w:.2f} s | |\n"
        f"| overhead: median of the {args.repeat} paired ratios | {(ratio - 1) * 100:+.1f} % | < +10 % |\n\n"
        "(a) one rule (a session over $1) with a signed webhook to a receiver in the bench process; each "
        f"round writes a new session whose one call costs $1.50 into the state dir `serve` follows, "
        f"{args.pause:g} s after the previous alert (lines closer together than the service's 1 s "
        "minimum gap between evaluations wait for it: at most 1 s more; each evaluation waits 0.25 s for "
        "ingest to pause). "
        f"(b) the demo arrives in {args.chunks} batches with an ingest pass after each; the alert service "
        "of `serve` is notified after every pass and evaluates 100 rules (thresholds, per-session, budgets, "
        "anomalies) in its thread while the next pass runs (wake-ups batched: it evaluates once passes "
        "pause for 0.25 s, at most 1.5 s after the first; agent-scoped rules share one grouped query). "
        "Each run is a pair (no rules, 100 rules) in alternating order; the overhead is the median of "
        "the pairs' ratios.\n"
    )
    write_section("alerts", "bench/alerts.py", body)
    print(body)


if __name__ == "__main__":
    main()

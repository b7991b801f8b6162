"""Live-update benchmark: how soon a line OpenClaw appends is visible, and what `serve` costs idle.

    .venv/bin/python bench/live.py [--sessions 300] [--appends 10] [--idle 20]

Starts `clawscope serve --no-auth` as a real process on a generated JSONL-era demo state (cached under
bench/out/), waits for the first ingest, then measures:
  (a) idle CPU of the server process (live ingest following the state dirs, nobody browsing) over
      --idle seconds, from /proc/<pid>/stat, as a share of one core;
  (b) append → visible: the time from appending one assistant message to a transcript until the
      dashboard's overview page (GET /, the server-rendered numbers) shows the new model call.
Targets: (b) ≤ 2 s (each append); (a) < 5 % of one core. Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from clawscope.demo import generate  # noqa: E402
from results import write_section  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def llm_calls(client: httpx.Client) -> int:
    m = re.search(r'data-metric="llmCalls">([0-9,]+)<', client.get("/").text)
    return int(m.group(1).replace(",", "")) if m else -1


def append_line(path: Path, n: int) -> None:
    lines = path.read_text().splitlines()
    rec = json.loads(next(ln for ln in reversed(lines) if '"role":"assistant"' in ln))
    rec.update(id=f"bench{n:04d}", parentId=rec.get("id"))
    rec["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    rec["message"]["responseId"] = f"bench-{n}-{time.time_ns()}"
    with path.open("a") as fh:
        fh.write(json.dumps(rec, separators=(",", ":")) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--appends", type=int, default=10)
    ap.add_argument("--idle", type=float, default=20.0)
    args = ap.parse_args()
    out = HERE / "out" / "live"
    corpus = HERE / "out" / f"live-corpus-{args.sessions}"
    if not (corpus / "demo-totals.json").exists():
        generate(corpus, sessions=args.sessions, agents=3, era="jsonl", seed=5)
    shutil.rmtree(out, ignore_errors=True)
    state = out / "state"
    shutil.copytree(corpus, state)
    transcripts = sorted((state / "agents").glob("*/sessions/*.jsonl"))
    target = next(p for p in transcripts if '"role":"assistant"' in p.read_text())
    port = free_port()
    env = {**os.environ, "CLAWSCOPE_HOME": str(out / "home"), "PYTHONPATH": str(ROOT / "src")}
    env.pop("CLAWSCOPE_DB", None)
    cmd = [sys.executable, "-c", "from clawscope.cli import main; main()", "serve", "--no-auth"]
    cmd += ["--port", str(port), "--state", str(state), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        started = time.monotonic()
        while True:
            try:
                if client.get("/api/v1/health").json()["ingest"]["lastIngestAt"]:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > 300:
                raise SystemExit("the server did not finish its first ingest")
            time.sleep(0.2)
        first_s = time.monotonic() - started
        time.sleep(3)  # let the first pass settle
        c0, t0 = cpu_s(proc.pid), time.monotonic()
        time.sleep(args.idle)
        idle_pct = 100 * (cpu_s(proc.pid) - c0) / (time.monotonic() - t0)
        delays = []
        for n in range(args.appends):
            before = llm_calls(client)
            t = time.monotonic()
            append_line(target, n)
            while llm_calls(client) <= before:
                if time.monotonic() - t > 30:
                    raise SystemExit("an appended line never showed up")
                time.sleep(0.02)
            delays.append(time.monotonic() - t)
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    delays.sort()
    p50 = delays[len(delays) // 2]
    worst = delays[-1]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"JSONL-era demo state of {args.sessions} sessions ({len(transcripts)} transcripts); "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load} (a shared machine).",
        "",
        "| measure | value | target | |",
        "|---|---:|---:|---|",
        f"| first ingest on start (server up → data) | {first_s:.1f} s | | |",
        f"| idle CPU of `serve` over {args.idle:.0f} s | {idle_pct:.2f} % of one core | < 5 % | "
        f"{'met' if idle_pct < 5 else 'NOT met'} |",
        f"| append → visible on the overview page, median of {len(delays)} | {p50 * 1000:.0f} ms "
        f"| ≤ 2000 ms | {'met' if p50 <= 2 else 'NOT met'} |",
        f"| append → visible, worst | {worst * 1000:.0f} ms | ≤ 2000 ms "
        f"| {'met' if worst <= 2 else 'NOT met'} |",
    ]
    text = "\n".join(lines)
    print(text)
    write_section("live", "bench/live.py", text)


if __name__ == "__main__":
    main()

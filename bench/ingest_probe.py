"""`clawscope` as bench/ingest.py runs it to split a run's cost: the same CLI, with the writer's one call
that indexes transcript words (`store.search.index_entries`) either timed or left out, or with the
ingest and the detection pass that follows it timed apart.

    python bench/ingest_probe.py time OUT.json ingest STATE --db … --json
    python bench/ingest_probe.py off OUT.json ingest STATE --db … --json
    python bench/ingest_probe.py phases OUT.json ingest STATE --db … --json

`time` adds up the CPU seconds of the calling thread inside the call (the words extracted, the FTS5 /
tsvector rows written: SQLite runs in that thread) and its wall seconds, written to OUT.json at exit;
`off` skips the call, so a cold ingest with and without the index can be compared on the same corpus.
`phases` writes the wall and CPU seconds (the process's and its workers') of `ingest` and of `detect`
as the CLI calls them: how much time detection adds to the ingest it follows, measured in one run (two
runs of a cold ingest on a shared machine differ by more than that).
A bench-only switch: the product always indexes (a database without the words would answer searches
wrong), so this is not a setting.
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

from clawscope.store import search  # bench-only: the store's own module, patched


def main() -> None:
    mode, out = sys.argv[1], Path(sys.argv[2])
    sys.argv = ["clawscope", *sys.argv[3:]]
    real = search.index_entries
    spent = {"cpu_s": 0.0, "wall_s": 0.0, "calls": 0, "indexed": 0}

    def timed(conn: Any, docs: Any) -> int:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            added = real(conn, docs)
        finally:
            spent["cpu_s"] += time.thread_time() - cpu
            spent["wall_s"] += time.perf_counter() - wall
            spent["calls"] += 1
        spent["indexed"] += added
        return added

    def skipped(_conn: Any, _docs: Any) -> int:
        spent["calls"] += 1
        return 0

    if mode == "phases":
        split = phases()
        atexit.register(lambda: out.write_text(json.dumps(split)))
    else:
        search.index_entries = timed if mode == "time" else skipped  # type: ignore[assignment]
        atexit.register(lambda: out.write_text(json.dumps(spent)))
    from clawscope.cli import main as cli

    cli()


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime  # workers count once reaped


def phases() -> dict[str, dict[str, float]]:
    """Wraps the CLI's `ingest` and `detect`; returns the dict their timings are written into."""
    import clawscope.cli.ingest as cli_ingest
    import clawscope.ingest as ingest_pkg

    spent: dict[str, dict[str, float]] = {}

    def timing(name: str, real: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            cpu, wall = _cpu(), time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent[name] = {"wall_s": time.perf_counter() - wall, "cpu_s": _cpu() - cpu}

        return wrapped

    ingest_pkg.ingest = timing("ingest", ingest_pkg.ingest)  # imported by the CLI when called
    cli_ingest.detect = timing("detect", cli_ingest.detect)  # type: ignore[attr-defined]
    return spent


if __name__ == "__main__":
    main()

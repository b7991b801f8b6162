"""Generation streams: peak memory does not grow with the corpus (measured with getrusage, not time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_PROBE = """
import json, resource, sys
from pathlib import Path
from clawscope.demo import generate
out, era, sessions = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
generate(out / "warm", sessions=20, agents=3, era=era, seed=1)  # imports, caches, first allocations
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
generate(out / "big", sessions=sessions, agents=3, era=era, seed=1)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
size = sum(p.stat().st_size for p in (out / "big").rglob("*") if p.is_file())
print(json.dumps({"growth_kib": peak - base, "bytes": size}))
"""


def _probe(tmp: Path, era: str, sessions: int) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp), era, str(sessions)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, int] = json.loads(done.stdout)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("era", ["jsonl", "sqlite"])
def test_peak_memory_does_not_grow_with_the_corpus(tmp_path: Path, era: str) -> None:
    small = _probe(tmp_path / "small", era, 600)
    large = _probe(tmp_path / "large", era, 4800)
    extra_bytes = large["bytes"] - small["bytes"]
    extra_kib = large["growth_kib"] - small["growth_kib"]
    assert extra_bytes > 60 * 2**20, large  # the large corpus is much larger…
    assert extra_kib < 24 * 1024, (small, large)  # …but needs no more than a few MiB more memory

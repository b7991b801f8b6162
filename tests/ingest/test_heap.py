"""The ingest's process gives freed large blocks back to the system (issue 17, peak memory): with
glibc's thresholds fixed, 100 MB of 256 KiB blocks freed leave RSS at once, even after one 16 MiB
buffer freed before (which raises glibc's own dynamic threshold, after which such blocks may come
from the heap and stay there behind small live objects: whether they do depends on the heap's layout,
so only the fixed case is asserted; the ingest benchmark shows the effect on a whole ingest). Each
case runs in a fresh interpreter: the thresholds are per process."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from clawscope.cli import cli
from clawscope.ingest import heap

PROBE = """
import os
from clawscope.ingest.heap import return_freed_memory
took = return_freed_memory()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
big = bytearray(16 << 20)
del big
blocks, keep = [], []
for _ in range(400):
    blocks.append(bytearray(256 << 10))
    keep.append(bytearray(600))
before = rss()
del blocks
print(took, (before - rss()) >> 20)
"""

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's malloc only"
)


def _freed_mb() -> tuple[str, int]:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    took, mb = out.stdout.split()
    return took, int(mb)


@glibc
def test_fixed_thresholds_give_freed_large_blocks_back() -> None:
    took, freed = _freed_mb()
    assert took == "True"
    assert freed >= 90  # of the 100 MB freed


def test_the_ingest_command_fixes_them_for_its_process(
    fixture_copy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(heap, "return_freed_memory", lambda: calls.append(1) or True)
    state = fixture_copy("openclaw-2026.3.24-jsonl")
    result = CliRunner().invoke(cli, ["ingest", str(state), "--db", str(tmp_path / "c.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert calls == [1]

"""Where the audit files live, and how they are written (atomically, durably).

An audit directory mirrors the PEAC vectors, so `clawscope receipts capture` output can be compared
with them file by file:

    spool/spool.jsonl, spool/dedupe.idx, spool/spool.checkpoint.jws   one workflow (adapter layout)
    spools/<workflow>/…                                               one spool per session
    receipts/<rid>.peac.json        receipts-jws/<rid>.jws            Wire 0.1 (the adapter's format)
    wire02/receipts-jws/<rid>.jws                                     Wire 0.2 (what `peac verify` accepts)
    log/leaves.jsonl, log/checkpoints/<size>.note                     the Merkle log over all receipts
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from clawscope.audit.canonical import b64u_encode

WORKFLOW_FILE = "workflow.txt"


@dataclass(frozen=True)
class Layout:
    """Paths of one audit directory."""

    root: Path

    @property
    def receipts(self) -> Path:
        return self.root / "receipts"

    @property
    def jws01(self) -> Path:
        return self.root / "receipts-jws"

    @property
    def jws02(self) -> Path:
        return self.root / "wire02" / "receipts-jws"

    @property
    def log(self) -> Path:
        return self.root / "log"

    def spool_dir(self, workflow: str | None) -> Path:
        """`spool/` for the single (adapter) workflow, `spools/<name>/` for a named one."""
        if workflow is None:
            return self.root / "spool"
        return self.root / "spools" / workflow_dirname(workflow)

    def spool_dirs(self) -> list[Path]:
        dirs = [self.root / "spool"] if (self.root / "spool" / "spool.jsonl").exists() else []
        named = self.root / "spools"
        if named.is_dir():
            dirs.extend(sorted(p for p in named.iterdir() if (p / "spool.jsonl").exists()))
        return dirs


def workflow_dirname(workflow: str) -> str:
    """A file-system-safe, reversible-when-short directory name for a workflow (session) id."""
    encoded = b64u_encode(workflow.encode("utf-8"))
    return (
        encoded if len(encoded) <= 120 else "h_" + hashlib.sha256(workflow.encode("utf-8")).hexdigest()[:40]
    )


def workflow_of(spool_dir: Path) -> str | None:
    """The workflow id recorded in a spool directory (None for the single adapter spool)."""
    path = spool_dir / WORKFLOW_FILE
    return path.read_text(encoding="utf-8") if path.exists() else None


def atomic_write(path: Path, data: bytes, *, durable: bool = True, sync_dir: bool = True) -> None:
    """Write via a temporary file and rename: readers never see a half-written file.

    `durable` fsyncs the file before the rename (and `sync_dir` the directory after it), so the
    file survives a power loss. Callers writing many files turn `sync_dir` off and call
    `sync_dirs()` once per batch: a directory fsync costs as much as a file's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)
    if durable and sync_dir:
        sync_dirs([path.parent])


def sync_dirs(directories: list[Path]) -> None:
    """fsync directories, so renames into them are durable."""
    for directory in dict.fromkeys(directories):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

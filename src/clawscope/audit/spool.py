"""The tamper-evident spool: one hash-chained JSONL file of captured actions per workflow.

Format (identical to PEAC `FsSpoolStore`, byte for byte):
    entry_wo     = {captured_at, action, input_digest?, output_digest?, prev_entry_digest, sequence}
    entry_digest = hex SHA-256 of RFC 8785 JCS(entry_wo)
    line         = JSON.stringify({...entry_wo, entry_digest}) + "\\n"
`captured_at = action.completed_at ?? action.started_at` (no wall clock, so a replay gives the same
chain), the first `prev_entry_digest` is GENESIS (64 zeros), `sequence` starts at 1.

Unlike upstream, loading RECOMPUTES every digest (an in-place edit is caught, not just a broken
link) and classifies each failure: edited, entry missing, reordered, duplicated, broken link.
Appends are flushed to the OS at once and fsynced on `commit()` (the emitter commits in the
background), which keeps a capture to a few tens of microseconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from clawscope.audit.canonical import CanonicalError, jcs, jcs_and_stringify, loads
from clawscope.audit.errors import AuditError, Code, Notice, WarningCode

GENESIS = "0" * 64
SPOOL_FILE = "spool.jsonl"
LOCK_FILE = "spool.jsonl.lock"
TORN_FILE = "spool.jsonl.torn"
MIB = 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")
ENTRY_KEYS = ("captured_at", "action", "input_digest", "output_digest", "prev_entry_digest", "sequence")


def payload_digest(data: bytes, threshold: int = MIB) -> dict[str, Any]:
    """PEAC payload digest: full SHA-256 up to `threshold` bytes, else a labelled truncated hash."""
    if threshold not in (64 * 1024, MIB):
        raise ValueError("threshold must be 64 KiB or 1 MiB")
    if len(data) <= threshold:
        return {"alg": "sha-256", "value": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    alg = "sha-256:trunc-64k" if threshold == 64 * 1024 else "sha-256:trunc-1m"
    return {"alg": alg, "value": hashlib.sha256(data[:threshold]).hexdigest(), "bytes": len(data)}


def build_entry(
    action: dict[str, Any],
    input_digest: dict[str, Any] | None,
    output_digest: dict[str, Any] | None,
    prev: str,
    sequence: int,
) -> dict[str, Any]:
    """The spool entry for `action`, `entry_digest` last (its key order is part of the format)."""
    return encode_entry(action, input_digest, output_digest, prev, sequence)[0]


def encode_entry(
    action: dict[str, Any],
    input_digest: dict[str, Any] | None,
    output_digest: dict[str, Any] | None,
    prev: str,
    sequence: int,
) -> tuple[dict[str, Any], bytes]:
    """The entry and its spool line, serializing the entry once for its digest and once for its line."""
    completed = action.get("completed_at")
    entry: dict[str, Any] = {"captured_at": completed if completed is not None else action["started_at"]}
    entry["action"] = action
    if input_digest is not None:
        entry["input_digest"] = input_digest
    if output_digest is not None:
        entry["output_digest"] = output_digest
    entry["prev_entry_digest"] = prev
    entry["sequence"] = sequence
    canonical, text = jcs_and_stringify(entry)
    digest = hashlib.sha256(canonical).hexdigest()
    entry["entry_digest"] = digest
    # JSON.stringify of the complete entry = that of the entry without its digest, plus the digest member.
    return entry, (text[:-1] + ',"entry_digest":"' + digest + '"}\n').encode("utf-8")


def entry_digest(entry: dict[str, Any]) -> str:
    """SHA-256 of the JCS bytes of the entry without its `entry_digest` member."""
    return hashlib.sha256(jcs({k: v for k, v in entry.items() if k != "entry_digest"})).hexdigest()


def rid_of(digest: str) -> str:
    """Receipt id of an entry: `r_` + the first 128 bits of its digest (PEAC adapter rule)."""
    return "r_" + digest[:32]


# -- integrity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    """One integrity failure in a spool: its code, where (1-based line), and what was found."""

    code: Code
    line: int
    message: str


def parse_lines(data: bytes) -> tuple[list[Any], list[ChainProblem]]:
    """Parse spool bytes into entries; malformed lines and a torn last line become problems."""
    problems: list[ChainProblem] = []
    entries: list[Any] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        problems.append(
            ChainProblem(Code.SPOOL_MALFORMED, len(lines), "last line is incomplete (no newline)")
        )
    for number, raw in enumerate(lines, 1):
        try:
            entries.append(loads(raw))
        except CanonicalError as exc:
            problems.append(ChainProblem(Code.SPOOL_MALFORMED, number, f"not a JSON entry: {exc}"))
            entries.append(None)
    return entries, problems


def check_chain(entries: list[Any]) -> list[ChainProblem]:
    """Every integrity problem of a parsed spool, most specific first; [] means the chain is intact."""
    problems = [p for i, e in enumerate(entries, 1) if (p := _check_shape(e, i))]
    if problems:
        return problems
    for number, entry in enumerate(entries, 1):
        if entry_digest(entry) != entry["entry_digest"]:
            problems.append(
                ChainProblem(
                    Code.SPOOL_DIGEST_MISMATCH,
                    number,
                    f"entry {entry['sequence']} does not hash to its entry_digest: edited after capture",
                )
            )
    problems.extend(_check_order([e["sequence"] for e in entries]))
    if problems:
        return problems
    prev = GENESIS
    for number, entry in enumerate(entries, 1):
        if entry["prev_entry_digest"] != prev:
            problems.append(
                ChainProblem(
                    Code.SPOOL_BROKEN_LINK,
                    number,
                    f"entry {entry['sequence']} does not link to the entry before it",
                )
            )
        prev = entry["entry_digest"]
    return problems


def _check_shape(entry: Any, number: int) -> ChainProblem | None:
    def bad(why: str) -> ChainProblem:
        return ChainProblem(Code.SPOOL_MALFORMED, number, why)

    if not isinstance(entry, dict):
        return bad("entry is not a JSON object")
    unknown = set(entry) - set(ENTRY_KEYS) - {"entry_digest"}
    if unknown:
        return bad(f"unknown member(s) {sorted(unknown)}")
    if not isinstance(entry.get("captured_at"), str) or not isinstance(entry.get("action"), dict):
        return bad("captured_at must be a string and action an object")
    seq = entry.get("sequence")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        return bad("sequence must be a positive integer")
    for key in ("prev_entry_digest", "entry_digest"):
        if not isinstance(entry.get(key), str) or not _HEX64.fullmatch(entry[key]):
            return bad(f"{key} must be 64 lowercase hex digits")
    try:
        jcs(entry)
    except CanonicalError as exc:
        return bad(f"entry cannot be canonicalized: {exc}")
    return None


def _check_order(seqs: list[int]) -> list[ChainProblem]:
    seen: set[int] = set()
    for line, seq in enumerate(seqs, 1):
        if seq in seen:
            return [ChainProblem(Code.SPOOL_DUPLICATE_SEQUENCE, line, f"sequence {seq} appears twice")]
        seen.add(seq)
    expected = list(range(1, len(seqs) + 1))
    if seqs == expected:
        return []
    if sorted(seqs) == expected:
        line = next(i for i, (s, e) in enumerate(zip(seqs, expected, strict=True), 1) if s != e)
        return [ChainProblem(Code.SPOOL_REORDERED, line, f"entry {seqs[line - 1]} is out of order")]
    have = set(seqs)
    missing = [s for s in range(1, max(seqs) + 1) if s not in have]
    line = next((i for i, s in enumerate(seqs, 1) if s > missing[0]), len(seqs))
    shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
    return [ChainProblem(Code.SPOOL_ENTRY_MISSING, line, f"entries missing from the chain: {shown}")]


# -- the file ------------------------------------------------------------------------------------


class Spool:
    """A single-writer, append-only spool file in `directory` (with its lock file)."""

    def __init__(self, directory: Path, *, max_entries: int = 100_000, max_bytes: int = 100 * MIB) -> None:
        self.directory = directory
        self.path = directory / SPOOL_FILE
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.warnings: list[Notice] = []
        self.size = 0
        self.sequence = 0
        self.head = GENESIS
        self._fh: IO[bytes] | None = None
        self._lock: Path | None = None

    @classmethod
    def open(cls, directory: Path, **limits: int) -> Spool:
        """Lock, load and fully verify the spool; a damaged chain is never appended to."""
        spool = cls(directory, **limits)
        directory.mkdir(parents=True, exist_ok=True)
        spool._acquire_lock()
        try:
            spool._load()
        except BaseException:
            spool.close()
            raise
        return spool

    def _acquire_lock(self) -> None:
        lock = self.directory / LOCK_FILE
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise AuditError(
                Code.LOCKFILE,
                f"{lock} exists: another writer holds this spool (remove it if that writer is gone)",
            ) from None
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        self._lock = lock

    def _load(self) -> None:
        data = self.path.read_bytes() if self.path.exists() else b""
        cut = data.rfind(b"\n") + 1
        if cut < len(data):  # a crash during an append left a partial line: keep it aside, never lose it
            with (self.directory / TORN_FILE).open("ab") as torn:
                torn.write(data[cut:] + b"\n")
            with self.path.open("r+b") as fh:
                fh.truncate(cut)
            self.warnings.append(
                Notice(
                    WarningCode.SPOOL_TAIL_REPAIRED,
                    f"incomplete last line ({len(data) - cut} bytes) moved to {TORN_FILE}",
                )
            )
            data = data[:cut]
        entries, problems = parse_lines(data)
        problems = problems or check_chain(entries)
        if problems:
            first = problems[0]
            raise AuditError(
                first.code, f"{self.path} line {first.line}: {first.message}; refusing to append"
            )
        # Only the head is kept: entries stay on disk (memory and GC pauses do not grow with the spool).
        self.sequence = len(entries)
        self.head = entries[-1]["entry_digest"] if entries else GENESIS
        self.size = len(data)
        self._fh = self.path.open("ab")

    def append(
        self,
        action: dict[str, Any],
        input_digest: dict[str, Any] | None,
        output_digest: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], bytes]:
        """Chain `action` onto the spool and write its line; returns the entry and the line written."""
        if self._fh is None:
            raise AuditError(Code.CAPTURE_SESSION_CLOSED, "spool is closed")
        if self.sequence >= self.max_entries or self.size >= self.max_bytes:
            raise AuditError(Code.SPOOL_FULL, f"{self.path} is full ({self.sequence} entries)")
        entry, line = encode_entry(action, input_digest, output_digest, self.head, self.sequence + 1)
        if len(line) > 4 * MIB:
            raise AuditError(Code.SPOOL_FULL, "spool entry larger than 4 MiB")
        try:
            self._fh.write(line)
            self._fh.flush()
        except OSError:
            self._rollback()
            raise
        self.size += len(line)
        self.sequence = entry["sequence"]
        self.head = entry["entry_digest"]
        return entry, line

    def _rollback(self) -> None:
        """After a failed write (disk full, I/O error) cut any partial line, so the chain stays whole."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
        with self.path.open("r+b") as fh:
            fh.truncate(self.size)
        self._fh = self.path.open("ab")

    def read_entries(self) -> list[dict[str, Any]]:
        """Every entry, read back from disk (for recovery paths; the hot path never needs them)."""
        entries, _ = parse_lines(self.path.read_bytes() if self.path.exists() else b"")
        return [e for e in entries if isinstance(e, dict)]

    def commit(self) -> None:
        """Make every appended line durable."""
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self.commit()
            self._fh.close()
            self._fh = None
        if self._lock is not None:
            self._lock.unlink(missing_ok=True)
            self._lock = None

"""The dedupe index next to a spool: which actions were captured, and which were emitted as receipts.

Format (identical to PEAC `FsDedupeIndex`): an append-only `dedupe.idx` op log,
    {"op":"set","actionId":…,"entry":{"sequence","entry_digest","captured_at","emitted":false}}
    {"op":"emit","actionId":…}        (also "delete" and "clear")
replayed on load, last write wins. It is an optimisation, never evidence: the spool is authoritative,
so an index that lost lines is repaired from the spool, and a skipped malformed line is reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from clawscope.audit.canonical import CanonicalError, loads, stringify
from clawscope.audit.errors import Notice, WarningCode

DEDUPE_FILE = "dedupe.idx"


class DedupeIndex:
    """In-memory view of the op log, appending every change to the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # action id -> (sequence, entry_digest, captured_at, emitted): tuples of atoms are untracked by the
        # garbage collector, so a large index costs no GC pauses on the capture path.
        self.entries: dict[str, tuple[Any, Any, Any, bool]] = {}
        self.warnings: list[Notice] = []
        self._fh: IO[bytes] | None = None

    @classmethod
    def open(cls, directory: Path) -> DedupeIndex:
        index = cls(directory / DEDUPE_FILE)
        if index.path.exists():
            index._replay(index.path.read_bytes())
        index._fh = index.path.open("ab")
        return index

    def _replay(self, data: bytes) -> None:
        for number, raw in enumerate(data.splitlines(), 1):
            try:
                op = loads(raw)
                self._apply(op)
            except (CanonicalError, KeyError, TypeError, AttributeError, IndexError):
                self.warnings.append(
                    Notice(
                        WarningCode.DEDUPE_LINE_SKIPPED,
                        f"{self.path} line {number} is malformed; skipped",
                    )
                )

    def _apply(self, op: dict[str, Any]) -> None:
        kind = op["op"]
        if kind == "set":
            e = op["entry"]
            self.entries[op["actionId"]] = (
                e["sequence"],
                e["entry_digest"],
                e["captured_at"],
                bool(e["emitted"]),
            )
        elif kind == "emit":
            self.entries[op["actionId"]] = (*self.entries[op["actionId"]][:3], True)
        elif kind == "delete":
            self.entries.pop(op["actionId"], None)
        elif kind == "clear":
            self.entries.clear()
        else:
            raise KeyError(kind)

    def _write(self, op: dict[str, Any]) -> None:
        if self._fh is None:
            raise ValueError("dedupe index is closed")
        self._fh.write((stringify(op) + "\n").encode("utf-8"))
        self._fh.flush()

    def has(self, action_id: str) -> bool:
        return action_id in self.entries

    def emitted(self, action_id: str) -> bool:
        entry = self.entries.get(action_id)
        return entry is not None and entry[3]

    def set(self, action_id: str, sequence: int, entry_digest: str, captured_at: str) -> None:
        self.entries[action_id] = (sequence, entry_digest, captured_at, False)
        entry = {
            "sequence": sequence,
            "entry_digest": entry_digest,
            "captured_at": captured_at,
            "emitted": False,
        }
        self._write({"op": "set", "actionId": action_id, "entry": entry})

    def mark_emitted(self, action_id: str) -> None:
        self.entries[action_id] = (*self.entries[action_id][:3], True)
        self._write({"op": "emit", "actionId": action_id})

    def forget_emission(self, action_id: str) -> None:
        """Treat an entry as not emitted (in memory only): its receipt files are missing."""
        if action_id in self.entries:
            self.entries[action_id] = (*self.entries[action_id][:3], False)

    def reconcile(self, spool_entries: list[dict[str, Any]]) -> int:
        """Re-add spool entries the index lost (e.g. a crash between spool and index writes)."""
        added = 0
        for entry in spool_entries:
            known = self.entries.get(entry["action"]["id"])
            if known is None or known[1] != entry["entry_digest"]:
                self.set(
                    entry["action"]["id"], entry["sequence"], entry["entry_digest"], entry["captured_at"]
                )
                added += 1
        return added

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

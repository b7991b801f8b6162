"""What verifying a whole audit directory adds to verifying its files one by one.

Each file can be valid while the directory is not: the latest signed head of the Merkle log
(`log/checkpoint.note`) edited, replaced or deleted, or receipts deleted from the middle while their
spool entries and log leaves remain. `receipts prove` and the API rely on that note, so a directory
verification checks it (signature, origin, root over the leaves) and checks that every leaf of the
log has its receipt file, holding exactly the token whose hash the leaf records.
"""

from __future__ import annotations

from pathlib import Path

from clawscope.audit.errors import AuditError, Code
from clawscope.audit.jws import KeySet
from clawscope.audit.layout import Layout
from clawscope.audit.merklelog import LEAVES_FILE, Leaf, read_leaves, tree_root
from clawscope.audit.note import Checkpoint, open_note
from clawscope.audit.receipts import TYP_WIRE01, TYP_WIRE02

LATEST_NOTE = "checkpoint.note"
_SHOWN = 5


def check_latest_note(log_dir: Path, keys: KeySet) -> Checkpoint | None:
    """Verify `checkpoint.note` against the leaves; a log with leaves must have one."""
    leaves = read_leaves(log_dir / LEAVES_FILE)
    path = log_dir / LATEST_NOTE
    if not path.exists():
        if leaves:
            raise AuditError(
                Code.LOG_CHECKPOINT_MISSING,
                f"{path} is missing: the {len(leaves)} leaves have no signed head",
            )
        return None
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise AuditError(Code.LOG_NOTE_INVALID, f"{path} is not UTF-8 text") from None
    cp = open_note(text, keys)
    named = log_dir / "checkpoints" / f"{cp.size}.note"
    if named.exists() and named.read_bytes() != text.encode("utf-8"):
        raise AuditError(Code.LOG_NOTE_INVALID, f"{path} differs from {named.name} of the same size")
    if cp.size > len(leaves):
        raise AuditError(Code.LOG_CORRUPT, f"{path.name}: log has only {len(leaves)} of {cp.size} leaves")
    if tree_root([leaf.hash for leaf in leaves[: cp.size]]) != cp.root:
        raise AuditError(Code.LOG_CORRUPT, f"{path.name}: leaves no longer match the signed root")
    return cp


def expected_files(root: Path, leaf: Leaf) -> list[Path]:
    """The receipt files the recorder writes for one leaf (`receipts.write_receipt`)."""
    layout = Layout(root)
    if leaf.typ == TYP_WIRE01:
        return [layout.jws01 / f"{leaf.rid}.jws", layout.receipts / f"{leaf.rid}.peac.json"]
    if leaf.typ == TYP_WIRE02:
        return [layout.jws02 / f"{leaf.rid}.jws"]
    return []


def check_receipts_present(log_dir: Path, verified: dict[Path, str]) -> None:
    """Every leaf has its receipt files among the verified ones, each with the leaf's token hash.

    `verified` maps each receipt file that verified to the `sha256:` hash of its token.
    """
    root = log_dir.parent
    missing: list[str] = []
    differing: list[str] = []
    for leaf in read_leaves(log_dir / LEAVES_FILE):
        for path in expected_files(root, leaf):
            found = verified.get(path)
            if found is None:
                missing.append(str(path.relative_to(root)))
            elif found != leaf.receipt_hash:
                differing.append(str(path.relative_to(root)))
    if missing:
        shown = ", ".join(missing[:_SHOWN]) + (" …" if len(missing) > _SHOWN else "")
        raise AuditError(
            Code.LOG_RECEIPT_MISSING,
            f"{len(missing)} logged receipt file(s) missing or not valid: {shown}",
        )
    if differing:
        shown = ", ".join(differing[:_SHOWN]) + (" …" if len(differing) > _SHOWN else "")
        raise AuditError(
            Code.LOG_RECEIPT_MISMATCH,
            f"{len(differing)} receipt file(s) hold a token other than the logged one: {shown}",
        )

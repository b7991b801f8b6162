"""An append-only Merkle log over every receipt (RFC 9162 hashing), with proofs a third party can check.

Leaves are the SHA-256 digests of receipt JWS strings (the `receipt_ref` PEAC already uses), so the
leaf hash is `SHA-256(0x00 || SHA-256(jws))` and node hashes are `SHA-256(0x01 || left || right)`.
A signed checkpoint (`note.py`) commits to (size, root). With an inclusion proof anyone holding a
receipt and a checkpoint can check the receipt is in the log; with a consistency proof anyone
holding an OLD checkpoint can check today's log extends it: nothing was removed, reordered or
rewritten — the guarantee a per-spool hash chain cannot give once its operator re-signs.

Storage is a plain append-only `leaves.jsonl` behind the `LeafStore` protocol, so the lead can back
it with the database without touching the proof code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from clawscope.audit.canonical import CanonicalError, loads, stringify
from clawscope.audit.errors import AuditError, Code
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.layout import atomic_write
from clawscope.audit.note import Checkpoint, open_note, sign_note

LEAVES_FILE = "leaves.jsonl"
_REF = re.compile(r"sha256:[0-9a-f]{64}")


def leaf_hash(digest: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + digest).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 MTH over leaf HASHES; the empty tree's root is SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(tree_root(leaves[:k]), tree_root(leaves[k:]))


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 PATH(m, D[n]): sibling hashes from the leaf up to the root."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(index, leaves[:k]), tree_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), tree_root(leaves[:k])]


def consistency_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 PROOF(m, D[n]) for 0 < m <= n."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [tree_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), tree_root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), tree_root(leaves[:k])]


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2 (m = old size, n = new size)."""
    if m < 1 or m > n:
        return False
    if m == n:
        return not path and old_root == new_root
    if not path:
        return False
    proof = list(path)
    if m & (m - 1) == 0:  # m is a power of two: the old root is itself a node on the path
        proof.insert(0, old_root)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


# -- storage ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One logged receipt: its position, receipt id, JWS `typ` and `sha256:` receipt reference."""

    index: int
    rid: str
    typ: str
    receipt_hash: str

    @property
    def hash(self) -> bytes:
        return leaf_hash(bytes.fromhex(self.receipt_hash[7:]))


class LeafStore(Protocol):
    """Where leaves are kept. Append-only: implementations never rewrite or delete a leaf."""

    def append(self, rid: str, typ: str, receipt_hash: str) -> Leaf: ...
    def leaves(self) -> list[Leaf]: ...


class FileLeafStore:
    """`leaves.jsonl`, one leaf per line, checked on load (indices consecutive, fields well formed)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LEAVES_FILE
        directory.mkdir(parents=True, exist_ok=True)
        self._leaves = self._load()
        self._fh: IO[bytes] = self.path.open("ab")

    def _load(self) -> list[Leaf]:
        return read_leaves(self.path)

    def append(self, rid: str, typ: str, receipt_hash: str) -> Leaf:
        leaf = Leaf(len(self._leaves), rid, typ, receipt_hash)
        line = {"index": leaf.index, "rid": rid, "typ": typ, "receipt_hash": receipt_hash}
        self._fh.write((stringify(line) + "\n").encode("utf-8"))
        self._fh.flush()
        self._leaves.append(leaf)
        return leaf

    def leaves(self) -> list[Leaf]:
        return list(self._leaves)

    def close(self) -> None:
        self._fh.close()


class ReadOnlyLeafStore:
    """The leaves of a log, loaded once, for readers (API, verification) that must never write."""

    def __init__(self, directory: Path) -> None:
        self._leaves = read_leaves(directory / LEAVES_FILE)

    def append(self, rid: str, typ: str, receipt_hash: str) -> Leaf:  # noqa: ARG002 - protocol signature
        raise AuditError(Code.LOG_CORRUPT, "this log was opened read-only")

    def leaves(self) -> list[Leaf]:
        return list(self._leaves)


def read_leaves(path: Path) -> list[Leaf]:
    """Load and check a leaves file: consecutive indices, well-formed `sha256:` references."""
    if not path.exists():
        return []
    out: list[Leaf] = []
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        try:
            doc = loads(raw)
            leaf = Leaf(doc["index"], doc["rid"], doc["typ"], doc["receipt_hash"])
        except (CanonicalError, KeyError, TypeError) as exc:
            raise AuditError(Code.LOG_CORRUPT, f"{path} line {number}: {exc}") from None
        if leaf.index != len(out) or not _REF.fullmatch(str(leaf.receipt_hash)):
            raise AuditError(Code.LOG_CORRUPT, f"{path} line {number}: bad index or receipt_hash")
        out.append(leaf)
    return out


def receipt_hash(jws: str) -> str:
    return "sha256:" + hashlib.sha256(jws.encode("ascii")).hexdigest()


def _hex(value: bytes) -> str:
    return "sha256:" + value.hex()


def _unhex(value: Any) -> bytes:
    if not isinstance(value, str) or not _REF.fullmatch(value):
        raise AuditError(Code.PROOF_INVALID, "proof hashes must be sha256:<64 hex>")
    return bytes.fromhex(value[7:])


class MerkleLog:
    """The receipt log: append, sign checkpoints, and produce inclusion and consistency proofs."""

    def __init__(self, directory: Path, origin: str, store: LeafStore | None = None) -> None:
        self.directory = directory
        self.origin = origin
        self.store: LeafStore = store or FileLeafStore(directory)

    def append(self, rid: str, typ: str, jws: str) -> Leaf:
        return self.store.append(rid, typ, receipt_hash(jws))

    def hashes(self, size: int | None = None) -> list[bytes]:
        leaves = self.store.leaves()
        return [leaf.hash for leaf in leaves[: len(leaves) if size is None else size]]

    def checkpoint(self, key: SigningKey) -> str:
        """Sign the current tree head and keep it (`checkpoints/<size>.note` and `checkpoint.note`)."""
        hashes = self.hashes()
        text = sign_note(self.origin, len(hashes), tree_root(hashes), key)
        atomic_write(self.directory / "checkpoints" / f"{len(hashes)}.note", text.encode("utf-8"))
        atomic_write(self.directory / "checkpoint.note", text.encode("utf-8"))
        return text

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def latest_checkpoint(self) -> str | None:
        path = self.directory / "checkpoint.note"
        return path.read_text(encoding="utf-8") if path.exists() else None

    def prove_inclusion(self, rid: str, checkpoint: Checkpoint) -> dict[str, Any]:
        """Inclusion proofs of every receipt logged under `rid`, against a checkpoint of this log."""
        hashes = self._hashes_at(checkpoint)
        leaves = [leaf for leaf in self.store.leaves()[: checkpoint.size] if leaf.rid == rid]
        if not leaves:
            raise AuditError(Code.LOG_LEAF_NOT_FOUND, f"{rid} is not in the log at size {checkpoint.size}")
        proofs = [
            {
                "typ": leaf.typ,
                "leaf_index": leaf.index,
                "receipt_hash": leaf.receipt_hash,
                "hashes": [_hex(h) for h in inclusion_path(leaf.index, hashes)],
            }
            for leaf in leaves
        ]
        return {
            "type": "clawscope-inclusion-proof/0.1",
            "rid": rid,
            "tree_size": checkpoint.size,
            "root": _hex(checkpoint.root),
            "proofs": proofs,
            "checkpoint": checkpoint.text,
        }

    def prove_consistency(self, old: Checkpoint, new: Checkpoint) -> dict[str, Any]:
        """Proof that the tree at `new` extends the tree at `old` (both checkpoints of this log)."""
        if old.size < 1 or old.size > new.size:
            raise AuditError(Code.CONSISTENCY_FAILED, "old checkpoint must be non-empty and not newer")
        hashes = self._hashes_at(new)
        if tree_root(hashes[: old.size]) != old.root:
            raise AuditError(Code.CONSISTENCY_FAILED, "this log does not contain the old checkpoint's tree")
        path = consistency_path(old.size, hashes) if old.size < new.size else []
        return {
            "type": "clawscope-consistency-proof/0.1",
            "old_size": old.size,
            "new_size": new.size,
            "old_root": _hex(old.root),
            "new_root": _hex(new.root),
            "hashes": [_hex(h) for h in path],
            "checkpoint": new.text,
        }

    def _hashes_at(self, checkpoint: Checkpoint) -> list[bytes]:
        if checkpoint.origin != self.origin or checkpoint.size > len(self.store.leaves()):
            raise AuditError(Code.LOG_CORRUPT, "checkpoint does not belong to this log (origin or size)")
        hashes = self.hashes(checkpoint.size)
        if tree_root(hashes) != checkpoint.root:
            raise AuditError(
                Code.LOG_CORRUPT, f"log leaves no longer match the checkpoint at size {checkpoint.size}"
            )
        return hashes


# -- third-party verification -------------------------------------------------------------------


def check_inclusion_proof(proof: Any, keys: KeySet, jws: str | None = None) -> Checkpoint:
    """Verify an inclusion proof file (and, if given, that `jws` is the receipt it proves)."""
    if not isinstance(proof, dict) or proof.get("type") != "clawscope-inclusion-proof/0.1":
        raise AuditError(Code.PROOF_INVALID, "not a clawscope inclusion proof")
    checkpoint = open_note(str(proof.get("checkpoint")), keys)
    if proof.get("tree_size") != checkpoint.size or _unhex(proof.get("root")) != checkpoint.root:
        raise AuditError(Code.PROOF_INVALID, "proof size/root differ from its signed checkpoint")
    items = proof.get("proofs")
    if not isinstance(items, list) or not items:
        raise AuditError(Code.PROOF_INVALID, "no inclusion proofs")
    matched = jws is None
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("leaf_index"), int)
            or not isinstance(item.get("hashes"), list)
        ):
            raise AuditError(Code.PROOF_INVALID, "malformed inclusion proof")
        leaf = leaf_hash(_unhex(item.get("receipt_hash")))
        path = [_unhex(h) for h in item["hashes"]]
        if not verify_inclusion(leaf, item["leaf_index"], checkpoint.size, path, checkpoint.root):
            raise AuditError(Code.INCLUSION_FAILED, f"leaf {item['leaf_index']} is not in the signed tree")
        matched = matched or (jws is not None and item["receipt_hash"] == receipt_hash(jws.strip()))
    if not matched:
        raise AuditError(Code.INCLUSION_FAILED, "the given receipt is not the one this proof covers")
    return checkpoint


def check_consistency_proof(proof: Any, keys: KeySet, old_note: str) -> tuple[Checkpoint, Checkpoint]:
    """Verify that the proof's signed checkpoint extends the OLD checkpoint a third party kept."""
    if not isinstance(proof, dict) or proof.get("type") != "clawscope-consistency-proof/0.1":
        raise AuditError(Code.PROOF_INVALID, "not a clawscope consistency proof")
    old = open_note(old_note, keys)
    new = open_note(str(proof.get("checkpoint")), keys, origin=old.origin)
    if proof.get("old_size") != old.size or proof.get("new_size") != new.size:
        raise AuditError(Code.PROOF_INVALID, "proof sizes differ from the checkpoints")
    hashes = proof.get("hashes")
    if not isinstance(hashes, list):
        raise AuditError(Code.PROOF_INVALID, "malformed consistency proof")
    if not verify_consistency(old.size, new.size, old.root, new.root, [_unhex(h) for h in hashes]):
        raise AuditError(
            Code.CONSISTENCY_FAILED, "the new checkpoint does not extend the old one: log rewritten"
        )
    return old, new


def check_log(directory: Path, keys: KeySet, origin: str | None = None) -> list[Checkpoint]:
    """Recompute the root at every stored checkpoint: rewritten or dropped leaves are caught."""
    hashes = [leaf.hash for leaf in read_leaves(directory / LEAVES_FILE)]
    checked: list[Checkpoint] = []
    notes = sorted((directory / "checkpoints").glob("*.note")) if (directory / "checkpoints").is_dir() else []
    for path in notes:
        cp = open_note(path.read_text(encoding="utf-8"), keys, origin)
        if cp.size > len(hashes):
            raise AuditError(Code.LOG_CORRUPT, f"{path.name}: log has only {len(hashes)} of {cp.size} leaves")
        if tree_root(hashes[: cp.size]) != cp.root:
            raise AuditError(Code.LOG_CORRUPT, f"{path.name}: leaves no longer match the signed root")
        checked.append(cp)
    return checked

"""The receipt Merkle log: RFC 9162 hashing and proofs, signed-note checkpoints, third-party checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clawscope.audit.errors import AuditError
from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.merklelog import (
    MerkleLog,
    ReadOnlyLeafStore,
    check_consistency_proof,
    check_inclusion_proof,
    check_log,
    consistency_path,
    inclusion_path,
    leaf_hash,
    receipt_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from clawscope.audit.note import open_note, sign_note, verifier_key
from tests.support.vectors import expected_json

# RFC 6962 reference vectors (the Certificate Transparency test data): leaves and the roots of each prefix.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def ct_hashes() -> list[bytes]:
    return [hashlib.sha256(b"\x00" + leaf).digest() for leaf in CT_LEAVES]


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc6962_reference_roots(size: int) -> None:
    assert tree_root(ct_hashes()[:size]).hex() == CT_ROOTS[size - 1]


def test_empty_tree_root() -> None:
    assert tree_root([]) == hashlib.sha256(b"").digest()


def test_peac_sorted_set_commitment_vector() -> None:
    vector = expected_json("wire02", "expected", "merkle.json")
    digests = sorted(bytes.fromhex(ref[7:]) for ref in vector["receipt_refs"])
    hashes = [leaf_hash(d) for d in digests]
    assert "sha256:" + tree_root(hashes).hex() == vector["commitment"]["root"]
    proof = vector["inclusion_proof_for_first_ref"]
    assert ["sha256:" + h.hex() for h in inclusion_path(0, hashes)] == proof["hashes"]


@settings(deadline=None)  # shared 2-core machine: no per-example deadline
@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n))))
def test_inclusion_and_consistency_proofs(case: tuple[int, int, int]) -> None:
    n, index, m = case
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]
    root = tree_root(leaves)
    path = inclusion_path(index, leaves)
    assert verify_inclusion(leaves[index], index, n, path, root)
    assert not verify_inclusion(leaves[index], index, n, path, hashlib.sha256(b"other root").digest())
    assert not verify_inclusion(hashlib.sha256(b"other leaf").digest(), index, n, path, root)
    if n > 1:
        assert not verify_inclusion(leaves[index], (index + 1) % n, n, path, root)
    if path:
        assert not verify_inclusion(leaves[index], index, n, [bytes(32), *path[1:]], root)
    proof = consistency_path(m, leaves)
    assert verify_consistency(m, n, tree_root(leaves[:m]), root, proof)
    if m < n:
        assert not verify_consistency(
            m, n, tree_root(leaves[:m]), hashlib.sha256(b"rewritten").digest(), proof
        )
        assert not verify_consistency(m, n, hashlib.sha256(b"forged").digest(), root, proof)


def test_consistency_needs_a_proof_when_sizes_differ() -> None:
    leaves = ct_hashes()
    assert not verify_consistency(4, 8, tree_root(leaves[:4]), tree_root(leaves), [])


# -- signed notes ------------------------------------------------------------------------------------


def test_checkpoint_note_format_and_verification() -> None:
    key = SigningKey.from_seed(b"\x01" * 32)
    note = sign_note("example.com/log", 8, bytes.fromhex(CT_ROOTS[-1]), key)
    body, _, sig = note.partition("\n\n")
    assert body == "example.com/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    assert sig.startswith("\u2014 example.com/log ")
    assert sig.endswith("\n")
    checkpoint = open_note(note, KeySet([key.public]))
    assert (checkpoint.origin, checkpoint.size, checkpoint.root.hex()) == ("example.com/log", 8, CT_ROOTS[-1])
    assert verifier_key("example.com/log", key.public).startswith("example.com/log+")


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda n: n.replace("\n8\n", "\n9\n"), "E_LOG_NOTE_SIGNATURE"),
        (lambda n: n.replace("example.com/log\n", "example.com/other\n", 1), "E_LOG_NOTE_SIGNATURE"),
        (lambda n: n.partition("\n\n")[0] + "\n", "E_LOG_NOTE_INVALID"),
        (lambda n: n.replace("\u2014 ", "- "), "E_LOG_NOTE_INVALID"),
    ],
)
def test_tampered_notes(edit: object, code: str) -> None:
    key = SigningKey.from_seed(b"\x01" * 32)
    note = sign_note("example.com/log", 8, bytes(32), key)
    with pytest.raises(AuditError) as exc:
        open_note(edit(note), KeySet([key.public]))  # type: ignore[operator]
    assert exc.value.code == code


def test_a_note_from_an_unknown_key_is_not_trusted() -> None:
    note = sign_note("example.com/log", 1, bytes(32), SigningKey.generate())
    with pytest.raises(AuditError) as exc:
        open_note(note, KeySet([SigningKey.generate().public]))
    assert exc.value.code == "E_LOG_NOTE_SIGNATURE"


# -- the log and third-party checks --------------------------------------------------------------------


def fill(log: MerkleLog, start: int, count: int) -> list[str]:
    tokens = [f"token-{i}" for i in range(start, start + count)]
    for i, token in enumerate(tokens, start):
        log.append(f"r_{i:032x}", "interaction-record+jwt", token)
    return tokens


def test_an_auditor_proves_inclusion_and_that_nothing_was_rewritten(tmp_path: Path) -> None:
    key = SigningKey.generate()
    keys = KeySet([key.public])
    log = MerkleLog(tmp_path, "example.com/receipts")
    tokens = fill(log, 0, 5)
    old_note = log.checkpoint(key)  # the auditor keeps this one
    fill(log, 5, 6)
    new = open_note(log.checkpoint(key), keys)

    proof = log.prove_inclusion("r_" + f"{3:032x}", new)
    assert check_inclusion_proof(proof, keys, tokens[3]).size == 11
    with pytest.raises(AuditError) as exc:
        check_inclusion_proof(proof, keys, "token-4")
    assert exc.value.code == "E_INCLUSION_FAILED"

    consistency = log.prove_consistency(open_note(old_note, keys), new)
    old, newer = check_consistency_proof(consistency, keys, old_note)
    assert (old.size, newer.size) == (5, 11)
    log.close()


def test_a_rewritten_history_fails_consistency(tmp_path: Path) -> None:
    key = SigningKey.generate()
    keys = KeySet([key.public])
    honest = MerkleLog(tmp_path / "a", "example.com/receipts")
    fill(honest, 0, 4)
    old_note = honest.checkpoint(key)
    forged = MerkleLog(tmp_path / "b", "example.com/receipts")  # same key, history rewritten, then extended
    forged.append("r_x", "interaction-record+jwt", "something else")
    fill(forged, 1, 7)
    new = open_note(forged.checkpoint(key), keys)
    with pytest.raises(AuditError) as exc:
        forged.prove_consistency(open_note(old_note, keys), new)
    assert exc.value.code == "E_CONSISTENCY_FAILED"
    honest_hashes = honest.hashes()
    fake = {
        "type": "clawscope-consistency-proof/0.1",
        "old_size": 4,
        "new_size": new.size,
        "hashes": ["sha256:" + h.hex() for h in consistency_path(4, honest_hashes + forged.hashes()[4:])],
        "checkpoint": new.text,
    }
    with pytest.raises(AuditError) as exc:
        check_consistency_proof(fake, keys, old_note)
    assert exc.value.code == "E_CONSISTENCY_FAILED"
    honest.close()
    forged.close()


def test_check_log_recomputes_every_stored_checkpoint(tmp_path: Path) -> None:
    key = SigningKey.generate()
    log = MerkleLog(tmp_path, "example.com/receipts")
    fill(log, 0, 3)
    log.checkpoint(key)
    fill(log, 3, 2)
    log.checkpoint(key)
    log.close()
    assert [c.size for c in check_log(tmp_path, KeySet([key.public]))] == [3, 5]
    lines = (tmp_path / "leaves.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "leaves.jsonl").write_bytes(b"".join(lines[:4]))
    with pytest.raises(AuditError) as exc:
        check_log(tmp_path, KeySet([key.public]))
    assert exc.value.code == "E_LOG_CORRUPT"


def test_read_only_store_refuses_writes(tmp_path: Path) -> None:
    log = MerkleLog(tmp_path, "example.com/receipts", ReadOnlyLeafStore(tmp_path))
    with pytest.raises(AuditError):
        log.append("r", "t", "x")
    log.close()
    assert receipt_hash("abc") == "sha256:" + hashlib.sha256(b"abc").hexdigest()

"""Verifying a whole audit directory: the log's signed head and every leaf's receipt (issue 13, item 9).

Each tamper is a function `(root, key) -> None` applied to a fresh, valid directory (the three vector
events, emitted and sealed), so the attack tier can run the same cases. Each must fail the directory
with its own code, from the library and from `clawscope receipts verify`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from clawscope.audit.jws import KeySet, SigningKey
from clawscope.audit.verify import Options, verify_paths
from clawscope.cli import cli
from tests.audit.test_verify import PUBLIC, R1, R2, R3, resign
from tests.support.vectors import NOW_MS, NOW_S

NOTE = Path("log") / "checkpoint.note"


def _edit_note_line(root: Path, index: int, edit: Callable[[str], str]) -> None:
    path = root / NOTE
    lines = path.read_text().split("\n")
    lines[index] = edit(lines[index])
    path.write_text("\n".join(lines))


def note_origin_edited(root: Path, key: SigningKey) -> None:
    _edit_note_line(root, 0, lambda line: line + "x")


def note_size_edited(root: Path, key: SigningKey) -> None:
    _edit_note_line(root, 1, lambda line: str(int(line) - 1))


def note_root_edited(root: Path, key: SigningKey) -> None:
    _edit_note_line(root, 2, lambda line: ("B" if line[0] != "B" else "C") + line[1:])


def note_signature_edited(root: Path, key: SigningKey) -> None:
    def flip(line: str) -> str:
        head, sig = line.rsplit(" ", 1)
        return f"{head} {sig[:10]}{'A' if sig[10] != 'A' else 'B'}{sig[11:]}"

    _edit_note_line(root, 4, flip)


def note_deleted(root: Path, key: SigningKey) -> None:
    (root / NOTE).unlink()


def note_garbage(root: Path, key: SigningKey) -> None:
    (root / NOTE).write_bytes(b"\xff\xfe not a note\n")


def leaves_deleted_note_kept(root: Path, key: SigningKey) -> None:
    (root / "log" / "leaves.jsonl").unlink()


def middle_receipt_deleted(root: Path, key: SigningKey) -> None:
    (root / "wire02" / "receipts-jws" / f"{R2}.jws").unlink()


def middle_receipt_all_forms_deleted(root: Path, key: SigningKey) -> None:
    for path in (
        root / "receipts" / f"{R2}.peac.json",
        root / "receipts-jws" / f"{R2}.jws",
        root / "wire02" / "receipts-jws" / f"{R2}.jws",
    ):
        path.unlink()


def peac_json_deleted(root: Path, key: SigningKey) -> None:
    (root / "receipts" / f"{R3}.peac.json").unlink()


def receipt_resigned_with_other_iat(root: Path, key: SigningKey) -> None:
    # Valid signature, same rid and evidence (so the spool agrees), but not the token the log holds.
    path = root / "wire02" / "receipts-jws" / f"{R1}.jws"
    resign(path, key, lambda _h, p: p.update(iat=p["iat"] - 60), path)


DIRECTORY_TAMPERS: list[tuple[Callable[[Path, SigningKey], None], str]] = [
    (note_origin_edited, "E_LOG_NOTE_SIGNATURE"),
    (note_size_edited, "E_LOG_NOTE_SIGNATURE"),
    (note_root_edited, "E_LOG_NOTE_SIGNATURE"),
    (note_signature_edited, "E_LOG_NOTE_SIGNATURE"),
    (note_deleted, "E_LOG_CHECKPOINT_MISSING"),
    (note_garbage, "E_LOG_NOTE_INVALID"),
    (leaves_deleted_note_kept, "E_LOG_CORRUPT"),
    (middle_receipt_deleted, "E_LOG_RECEIPT_MISSING"),
    (middle_receipt_all_forms_deleted, "E_LOG_RECEIPT_MISSING"),
    (peac_json_deleted, "E_LOG_RECEIPT_MISSING"),
    (receipt_resigned_with_other_iat, "E_LOG_RECEIPT_MISMATCH"),
]


def verify_dir_codes(root: Path, keys: KeySet) -> set[str]:
    """The failing codes of verifying `root` as a directory (library)."""
    return {v.code or "" for v in verify_paths([root], Options(keys, NOW_S)) if not v.ok}


def verify_dir_cli(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["receipts", "verify", str(root), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS)]
    )
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("tamper", "code"), DIRECTORY_TAMPERS, ids=[t.__name__ for t, _ in DIRECTORY_TAMPERS]
)
def test_directory_tamper_is_rejected(
    captured: Path, key: SigningKey, keys: KeySet, tamper: Callable[[Path, SigningKey], None], code: str
) -> None:
    assert verify_dir_codes(captured, keys) == set()  # valid before the tamper
    tamper(captured, key)
    assert verify_dir_codes(captured, keys) == {code}
    exit_code, output = verify_dir_cli(captured)
    assert exit_code == 1
    assert code in output


def test_the_untouched_directory_reports_its_latest_head(captured: Path, keys: KeySet) -> None:
    assert verify_dir_codes(captured, keys) == set()
    exit_code, output = verify_dir_cli(captured)
    assert exit_code == 0, output
    assert "latest head 6 leaves" in output


def test_receipts_are_only_required_when_the_directory_is_verified(captured: Path, keys: KeySet) -> None:
    middle_receipt_deleted(captured, SigningKey.generate())
    verdicts = verify_paths([captured / "log" / "leaves.jsonl"], Options(keys, NOW_S))
    assert [v.ok for v in verdicts] == [True]  # the log alone is intact; only the directory is not

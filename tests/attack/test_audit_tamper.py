"""Tampered audit trails (issue 13, items 9 and 10), verified the way an auditor would: a real audit
directory written by `clawscope receipts capture` in its own process, tampered on disk, then checked by
`clawscope receipts verify` (and `receipts bundle verify`) in another, with the public key pinned. Every
tamper fails with its own code and exit status 1; the untouched directory and bundle pass.

The tampers are the unit tier's own case tables (`DIRECTORY_TAMPERS` in
tests/audit/test_verify_directory.py, `SPAN_TAMPERS` in tests/audit/test_bundle_signed_span.py), which
drive the library and the in-process CLI there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from clawscope.audit.jws import SigningKey, load_signing_key
from tests.audit.test_bundle_signed_span import SPAN_TAMPERS, signed_bundle
from tests.audit.test_verify_directory import DIRECTORY_TAMPERS
from tests.support.vectors import NOW_MS, VECTORS

KEY = VECTORS / "keys" / "signing-key.TEST-ONLY.jwk"
PUBLIC = VECTORS / "keys" / "public.jwk"


def clawscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clawscope.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def verify(path: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return clawscope("receipts", *command, str(path), "--public-key", str(PUBLIC), "--now-ms", str(NOW_MS))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An audit directory of the vectors' events, captured, emitted and sealed by the real CLI."""
    out = tmp_path_factory.mktemp("audit") / "audit"
    inputs = VECTORS / "inputs"
    captured = clawscope(
        "receipts", "capture", "--events", str(inputs / "events.json"), "--config",
        str(inputs / "adapter-config.json"), "--key", str(KEY), "--out", str(out), "--now-ms", str(NOW_MS),
    )  # fmt: skip
    assert captured.returncode == 0, captured.stdout + captured.stderr
    assert (out / "log" / "checkpoint.note").is_file()
    return out


def test_the_untouched_directory_verifies(pristine: Path) -> None:
    result = verify(pristine, "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("tamper", "code"), DIRECTORY_TAMPERS, ids=[t.__name__ for t, _ in DIRECTORY_TAMPERS]
)
def test_a_tampered_directory_fails_with_its_code(
    pristine: Path, tmp_path: Path, tamper: Callable[[Path, SigningKey], None], code: str
) -> None:
    root = tmp_path / "audit"
    shutil.copytree(pristine, root)
    tamper(root, load_signing_key(KEY))
    result = verify(root, "verify")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert code in output, output
    assert "Traceback" not in output


def test_the_signed_bundle_verifies(tmp_path: Path) -> None:
    path = tmp_path / "ok.peacbundle"
    path.write_bytes(signed_bundle())
    result = verify(path, "bundle", "verify")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("tamper", "code"), SPAN_TAMPERS, ids=[t.__name__ for t, _ in SPAN_TAMPERS])
def test_a_tampered_bundle_fails_with_its_code(
    tmp_path: Path, tamper: Callable[[], bytes], code: str
) -> None:
    path = tmp_path / "x.peacbundle"
    path.write_bytes(tamper())
    for command in (("bundle", "verify"), ("verify",)):  # alone, and found while verifying a path
        result = verify(path, *command)
        output = result.stdout + result.stderr  # (the verdict line goes to stderr)
        assert result.returncode == 1, (command, output)
        assert code in output, (command, output)
        assert "Traceback" not in output

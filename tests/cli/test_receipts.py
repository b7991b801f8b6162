"""`clawscope receipts …`: the acceptance criteria, end to end through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from clawscope.cli import cli
from tests.support.env import FIXTURES
from tests.support.vectors import VECTORS

SAMPLES = FIXTURES / "openclaw-2026.3.24-jsonl"
NOW = "1768478400000"
PUBLIC = str(VECTORS / "keys" / "public.jwk")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["receipts", *args], catch_exceptions=False)


@pytest.fixture
def key(tmp_path: Path) -> str:
    path = tmp_path / "k.jwk"
    shutil.copy(VECTORS / "keys" / "signing-key.TEST-ONLY.jwk", path)
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def out(tmp_path: Path, key: str) -> Path:
    result = run(
        "capture",
        "--events",
        str(VECTORS / "inputs" / "events.json"),
        "--config",
        str(VECTORS / "inputs" / "adapter-config.json"),
        "--key",
        key,
        "--out",
        str(tmp_path / "out"),
        "--now-ms",
        NOW,
    )
    assert result.exit_code == 0, result.output
    assert "3 captured, 0 refused, 3 receipts emitted" in result.output
    return tmp_path / "out"


def test_capture_reproduces_the_vectors_byte_for_byte(out: Path) -> None:
    names = ["spool/spool.jsonl", "spool/dedupe.idx"]
    for folder in ("receipts", "receipts-jws", "wire02/receipts-jws"):
        names += [p.relative_to(VECTORS).as_posix() for p in sorted((VECTORS / folder).iterdir())]
    assert len(names) == 11
    for name in names:
        assert (out / name).read_bytes() == (VECTORS / name).read_bytes(), name


def test_capture_reports_refused_events(tmp_path: Path, key: str) -> None:
    events = [n["event"] for n in json.loads((VECTORS / "inputs" / "negative-events.json").read_text())]
    (tmp_path / "neg.json").write_text(json.dumps(events))
    result = run(
        "capture",
        "--events",
        str(tmp_path / "neg.json"),
        "--config",
        str(VECTORS / "inputs" / "adapter-config.json"),
        "--key",
        key,
        "--out",
        str(tmp_path / "o"),
    )
    assert result.exit_code == 1
    assert "refused E_OPENCLAW_MISSING_FIELD: Missing required field: run_id" in result.output
    assert result.output.count("refused E_OPENCLAW_INVALID_FIELD") == 2


def test_capture_hook_payloads_as_json_lines(tmp_path: Path, key: str) -> None:
    line = {
        "event": {"toolName": "exec", "params": {"command": "ls"}, "runId": "r", "toolCallId": "c"},
        "ctx": {"sessionKey": "agent:main:main"},
        "completed_ms": 1768478400000,
    }
    (tmp_path / "hooks.jsonl").write_text(json.dumps(line) + "\n")
    result = run(
        "capture",
        "--hook",
        "--per-session",
        "--json",
        "--events",
        str(tmp_path / "hooks.jsonl"),
        "--config",
        str(VECTORS / "inputs" / "adapter-config.json"),
        "--key",
        key,
        "--out",
        str(tmp_path / "o"),
        "--now-ms",
        NOW,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["results"][0]["workflow"] == "agent:main:main"
    assert run("verify", str(tmp_path / "o"), "--public-key", PUBLIC, "--now-ms", NOW).exit_code == 0


def test_verify_outputs_and_exit_codes(out: Path) -> None:
    result = run("verify", str(out), "--public-key", PUBLIC, "--now-ms", NOW, "--json")
    assert result.exit_code == 0
    verdicts = [json.loads(line) for line in result.output.splitlines()]
    assert len(verdicts) == 11
    assert all(v["ok"] for v in verdicts)
    upstream = run("verify", str(VECTORS / "spool" / "spool.jsonl"), "--public-key", PUBLIC)
    assert upstream.exit_code == 1
    assert "E_CHECKPOINT_MISSING" in upstream.output
    allowed = run(
        "verify", str(VECTORS / "spool" / "spool.jsonl"), "--public-key", PUBLIC, "--allow-unanchored"
    )
    assert allowed.exit_code == 0
    assert "W_CHECKPOINT_MISSING" in allowed.output


def test_bundle_create_and_verify(tmp_path: Path, out: Path, key: str) -> None:
    bundle = tmp_path / "evidence.peacbundle"
    result = run(
        "bundle",
        "create",
        "--receipts",
        str(out),
        "--key",
        key,
        "--output",
        str(bundle),
        "--bundle-id",
        "01KF0000000000000000000001",
        "--created-at",
        "2026-01-15T12:00:00.000Z",
        "--created-by",
        "https://auditor.example.com",
        "--dispute",
        "01KF0000000000000000000000",
        "--upstream-signature",
        "--now-ms",
        NOW,
    )
    assert result.exit_code == 0, result.output
    assert bundle.read_bytes() == (VECTORS / "wire02" / "evidence.peacbundle").read_bytes()
    result = run(
        "bundle",
        "verify",
        str(bundle),
        "--offline",
        "--public-key",
        PUBLIC,
        "--now-ms",
        NOW,
        "--report",
        str(tmp_path / "report.json"),
    )
    assert result.exit_code == 0
    assert "3/3 receipts valid; bundle.sig: valid" in result.output
    expected = json.loads((VECTORS / "wire02" / "expected" / "bundle-verification-report.json").read_text())
    assert json.loads((tmp_path / "report.json").read_text()) == expected


def test_bundle_of_wire01_receipts_is_refused_clearly(tmp_path: Path, key: str) -> None:
    result = run(
        "bundle",
        "create",
        "--receipts",
        str(VECTORS / "receipts-jws"),
        "--key",
        key,
        "--output",
        str(tmp_path / "x.peacbundle"),
    )
    assert result.exit_code == 1
    assert "E_BUNDLE_RECEIPT_INVALID" in result.output
    assert "missing jti" in result.output


def test_checkpoint_prove_and_verify_proof(tmp_path: Path, out: Path, key: str) -> None:
    old = tmp_path / "old.note"
    result = run("checkpoint", "--dir", str(out), "--key", key)
    assert result.exit_code == 0
    assert result.output.startswith("agent.example.com/clawscope-receipts\n6\n")
    old.write_text(result.output)
    rid = "r_889b8a680561cdcdb0f1e42692888168"
    assert (
        run(
            "prove", rid, "--dir", str(out), "--public-key", PUBLIC, "--output", str(tmp_path / "p.json")
        ).exit_code
        == 0
    )
    receipt = str(out / "receipts" / f"{rid}.peac.json")
    result = run("verify-proof", str(tmp_path / "p.json"), "--public-key", PUBLIC, "--receipt", receipt)
    assert result.exit_code == 0
    assert '"tree_size":6' in result.output
    other = str(out / "receipts" / "r_b93f8a90a9a86c41b44da7c8406c4e8c.peac.json")
    result = run("verify-proof", str(tmp_path / "p.json"), "--public-key", PUBLIC, "--receipt", other)
    assert result.exit_code == 1
    assert "E_INCLUSION_FAILED" in result.output
    result = run("prove", "--old-checkpoint", str(old), "--dir", str(out), "--public-key", PUBLIC)
    assert result.exit_code == 0
    (tmp_path / "c.json").write_text(result.output)
    result = run(
        "verify-proof", str(tmp_path / "c.json"), "--public-key", PUBLIC, "--old-checkpoint", str(old)
    )
    assert result.exit_code == 0
    assert '"kind":"consistency"' in result.output


def test_keygen_never_prints_the_secret(tmp_path: Path) -> None:
    result = run("keygen", "--out", str(tmp_path / "new.jwk"))
    assert result.exit_code == 0
    secret = json.loads((tmp_path / "new.jwk").read_text())["d"]
    assert secret not in result.output
    assert "kid: k_" in result.output
    assert (tmp_path / "new.jwk").stat().st_mode & 0o777 == 0o600
    assert run("keygen", "--out", str(tmp_path / "new.jwk")).exit_code == 1


def test_backfill_from_a_real_state_dir(tmp_path: Path, key: str) -> None:
    result = run(
        "backfill",
        "--state-dir",
        str(SAMPLES),
        "--key",
        key,
        "--out",
        str(tmp_path / "a"),
        "--issuer",
        "https://agent.example.com",
        "--now-ms",
        "1795300000000",
    )
    assert result.exit_code == 0, result.output
    assert "3 captured, 0 already receipted, 0 skipped, 0 refused, 3 receipts emitted" in result.output
    verified = run("verify", str(tmp_path / "a"), "--public-key", PUBLIC, "--now-ms", "1795300000000")
    assert verified.exit_code == 0, verified.output


def test_backfill_from_the_store_covers_both_eras(tmp_path: Path, key: str, fixture_copy) -> None:
    """Ingest the two real samples (JSONL and SQLite era, zstd row included), then receipt every
    tool call from the database: the raw entries it keeps give the whole arguments and outputs."""
    from clawscope.cli import cli

    db = str(tmp_path / "c.db")
    states = [fixture_copy("openclaw-2026.3.24-jsonl"), fixture_copy("openclaw-2026.9.6-sqlite")]
    ingested = CliRunner().invoke(cli, ["ingest", *map(str, states), "--db", db, "--json"])
    assert ingested.exit_code == 0, ingested.output
    args = ["--key", key, "--out", str(tmp_path / "a"), "--issuer", "https://agent.example.com"]
    result = run("backfill", "--all", "--db", db, *args, "--now-ms", "1795300000000")
    assert result.exit_code == 0, result.output
    assert "5 captured, 0 already receipted, 0 skipped, 0 refused, 5 receipts emitted" in result.output
    verified = run("verify", str(tmp_path / "a"), "--public-key", PUBLIC, "--now-ms", "1795300000000")
    assert verified.exit_code == 0, verified.output
    again = run("backfill", "--all", "--db", db, *args, "--now-ms", "1795300000000")
    assert "0 captured, 5 already receipted" in again.output
    one = run("backfill", "--session", "3ff11eb1-7006-42b6-a6d6-5639afa1513d", "--db", db, *args)
    assert "0 captured, 2 already receipted" in one.output


def test_backfill_from_the_store_refuses_pruned_text(tmp_path: Path, key: str, fixture_copy) -> None:
    """Receipts made before retention pruned a session stay verifiable; a later backfill from the store
    cannot read its text, so it says so (one session: an error; --all: skipped, on stderr)."""
    from clawscope.store import Store

    db = str(tmp_path / "c.db")
    ingested = CliRunner().invoke(cli, ["ingest", str(fixture_copy("openclaw-2026.3.24-jsonl")), "--db", db])
    assert ingested.exit_code == 0, ingested.output
    args = ["--key", key, "--out", str(tmp_path / "a"), "--issuer", "https://agent.example.com"]
    assert run("backfill", "--all", "--db", db, *args, "--now-ms", "1795300000000").exit_code == 0
    with Store(f"sqlite:///{db}", clock=lambda: 1_900_000_000_000) as store:  # (2030: long idle)
        assert store.retention.run(30).sessions
        session_id = store.sessions.with_tool_calls(None)[0][0]
    one = run("backfill", "--session", session_id, "--db", db, *args)
    assert one.exit_code == 2 and "pruned by retention" in one.output
    every = run("backfill", "--all", "--db", db, *args, "--now-ms", "1795300000000")
    assert every.exit_code == 0 and "transcript text pruned by retention" in every.stderr
    assert "0 captured" in every.output
    verified = run("verify", str(tmp_path / "a"), "--public-key", PUBLIC, "--now-ms", "1795300000000")
    assert verified.exit_code == 0, verified.output


def test_backfill_needs_to_know_which_sessions(tmp_path: Path, key: str) -> None:
    result = run("backfill", "--key", key, "--out", str(tmp_path / "a"), "--db", str(tmp_path / "c.db"))
    assert result.exit_code == 2
    assert "--session ID, --all, or --state-dir" in result.output
    missing = run(
        "backfill",
        "--session",
        "nope",
        "--key",
        key,
        "--out",
        str(tmp_path / "a"),
        "--db",
        str(tmp_path / "c.db"),
    )
    assert missing.exit_code == 2
    assert "no session 'nope'" in missing.output


@pytest.mark.parametrize(
    "command",
    [
        ["keygen"],
        ["capture"],
        ["backfill"],
        ["verify"],
        ["bundle"],
        ["bundle", "create"],
        ["bundle", "verify"],
        ["checkpoint"],
        ["prove"],
        ["verify-proof"],
        [],
    ],
)
def test_every_help_ends_with_an_example(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    tail = result.output.rsplit("Example:", 1)[1]
    assert tail.strip().startswith("clawscope receipts")
    assert "Options:" not in tail
    assert "Commands:" not in tail

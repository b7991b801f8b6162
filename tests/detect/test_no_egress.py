"""With no judge configured, a full `clawscope detect` opens no connection off the machine.

An audit hook (`sys.addaudithook`, process-wide, cannot be removed: it records only while `WATCH` is
on) sees every `socket.connect` and `socket.getaddrinfo` of the process and its threads, while the
real CLI ingests the recorded OpenClaw corpus (both eras' JSONL state, 180+ sessions) and runs every
detector, the four semantic families included. A connection to anything but loopback (or a Unix
socket) fails the test; so does resolving a name that is not local."""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from tests.support.cli import invoke

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "detect" / "openclaw-2026.7.35" / "state"
WATCH: list[bool] = [False]
SEEN: list[tuple[str, Any]] = []
_LOCAL_NAMES = {None, "", "localhost", "127.0.0.1", "::1", b"localhost", b"127.0.0.1"}


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not WATCH[0]:
        return
    if event == "socket.connect":
        sock, address = args
        SEEN.append((event, address if sock.family in (socket.AF_INET, socket.AF_INET6) else "unix"))
    elif event == "socket.getaddrinfo":
        SEEN.append((event, args[0]))


sys.addaudithook(_hook)


def _off_machine(event: str, target: Any) -> bool:
    if target == "unix":
        return False
    if event == "socket.getaddrinfo":
        if target in _LOCAL_NAMES:
            return False
        try:
            return not ipaddress.ip_address(
                target.decode() if isinstance(target, bytes) else target
            ).is_loopback
        except ValueError:
            return True
    return not ipaddress.ip_address(target[0]).is_loopback


def test_full_detect_without_a_judge_connects_to_nothing_but_loopback(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLAWSCOPE_DB", "CLAWSCOPE_CONFIG", "CLAWSCOPE_JUDGE", "OPENCLAW_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "state"
    shutil.copytree(CORPUS, state)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    SEEN.clear()
    WATCH[0] = True
    try:
        out, _ = invoke(CliRunner(), "detect", str(state), "--db", db, "--json")
    finally:
        WATCH[0] = False
    data = json.loads(out)
    families = {f["family"] for f in data["findings"]}
    # it really ran the semantic tier over the corpus (which has labelled positives of all four)
    assert {"prompt_injection", "hallucination", "coordination_failure", "persona_drift"} <= families
    assert "judge" not in data
    assert [s for s in SEEN if _off_machine(*s)] == []
    # and the hook does see connections (it is not silently inert): a loopback connect is recorded
    WATCH[0] = True
    try:
        with socket.socket() as s:
            s.settimeout(1)
            s.connect_ex(("127.0.0.1", 9))
    finally:
        WATCH[0] = False
    assert ("socket.connect", ("127.0.0.1", 9)) in SEEN


def test_ingest_without_a_judge_connects_to_nothing_but_loopback(tmp_path: Path, monkeypatch: Any) -> None:
    """`clawscope ingest` detects what it ingested and, with a judge configured, would ask it next: with
    none configured it asks nothing."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("CLAWSCOPE_DB", "CLAWSCOPE_CONFIG", "CLAWSCOPE_JUDGE", "OPENCLAW_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)
    state = tmp_path / "state"
    shutil.copytree(CORPUS, state)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    SEEN.clear()
    WATCH[0] = True
    try:
        out, _ = invoke(CliRunner(), "ingest", str(state), "--db", db, "--json")
    finally:
        WATCH[0] = False
    data = json.loads(out)
    assert data["ingested"]["sessions"] >= 180 and "judge" not in data
    assert [s for s in SEEN if _off_machine(*s)] == []

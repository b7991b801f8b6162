"""The hash-chained spool: byte parity with PEAC, full integrity checking, crash repair, locking."""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest

from clawscope.audit.canonical import jcs, loads, stringify
from clawscope.audit.dedupe import DedupeIndex
from clawscope.audit.errors import AuditError
from clawscope.audit.events import AdapterConfig, map_adapter_event
from clawscope.audit.spool import (
    GENESIS,
    Spool,
    build_entry,
    check_chain,
    entry_digest,
    parse_lines,
    payload_digest,
    rid_of,
)
from tests.support.vectors import VECTORS, expected_json


def vector_entries() -> list[dict[str, Any]]:
    return [loads(line) for line in (VECTORS / "spool" / "spool.jsonl").read_bytes().splitlines()]


def build_chain(events: list[Any], config: AdapterConfig) -> list[dict[str, Any]]:
    entries, prev = [], GENESIS
    for sequence, event in enumerate(events, 1):
        mapped = map_adapter_event(event, config)
        digests = [
            None if b is None else payload_digest(b) for b in (mapped.input_bytes, mapped.output_bytes)
        ]
        entries.append(build_entry(mapped.action, digests[0], digests[1], prev, sequence))
        prev = entries[-1]["entry_digest"]
    return entries


def test_spool_lines_are_byte_identical(events: list[Any], config: AdapterConfig) -> None:
    lines = "".join(stringify(e) + "\n" for e in build_chain(events, config))
    assert lines.encode() == (VECTORS / "spool" / "spool.jsonl").read_bytes()


@pytest.mark.parametrize("sequence", [1, 2, 3])
def test_entry_digest_preimage_is_the_upstream_jcs(
    events: list[Any], config: AdapterConfig, sequence: int
) -> None:
    entry = build_chain(events, config)[sequence - 1]
    preimage = (VECTORS / "expected" / "entry-jcs" / f"seq{sequence}.jcs").read_bytes()
    assert jcs({k: v for k, v in entry.items() if k != "entry_digest"}) == preimage
    assert hashlib.sha256(preimage).hexdigest() == entry["entry_digest"]
    chain = expected_json("expected", "chain.json")["entries"][sequence - 1]
    assert (entry["prev_entry_digest"], entry["entry_digest"]) == (
        chain["prev_entry_digest"],
        chain["entry_digest"],
    )
    assert rid_of(entry["entry_digest"]) == chain["rid"]


def test_captured_at_is_completed_at_or_started_at() -> None:
    entries = vector_entries()
    assert [e["captured_at"] for e in entries] == [
        "2026-01-15T11:59:51.250Z",
        "2026-01-15T11:59:52.010Z",
        "2026-01-15T11:59:53.123456Z",
    ]
    assert entries[0]["prev_entry_digest"] == "0" * 64


@pytest.mark.parametrize("vector", expected_json("expected", "hasher-vectors.json"), ids=lambda v: v["input"])
def test_payload_digests_match_the_upstream_hasher(vector: dict[str, Any]) -> None:
    data = b"abc" if vector["input"] == 'utf8("abc")' else bytes(i % 251 for i in range(vector["length"]))
    assert payload_digest(data) == vector["default_1m"]
    assert payload_digest(data, 64 * 1024) == vector["threshold_64k"]


def test_only_two_truncation_thresholds_exist() -> None:
    with pytest.raises(ValueError, match="64 KiB or 1 MiB"):
        payload_digest(b"x", 1000)


# -- integrity classification ---------------------------------------------------------------------


def codes(entries: list[Any]) -> list[str]:
    return [p.code.value for p in check_chain(entries)]


def test_intact_vector_chain() -> None:
    assert check_chain(vector_entries()) == []


def test_in_place_edit_is_caught_by_recomputing_digests() -> None:
    entries = vector_entries()
    entries[1]["action"]["tool_name"] = "write_file"  # upstream FsSpoolStore does not notice this
    assert codes(entries) == ["E_SPOOL_DIGEST_MISMATCH"]
    assert check_chain(entries)[0].line == 2


def test_deleted_entry_reordered_duplicated_and_spliced() -> None:
    entries = vector_entries()
    assert codes([entries[0], entries[2]]) == ["E_SPOOL_ENTRY_MISSING"]
    assert codes([entries[1], entries[2]]) == ["E_SPOOL_ENTRY_MISSING"]  # head dropped
    assert codes([entries[0], entries[2], entries[1]]) == ["E_SPOOL_REORDERED"]
    assert codes([entries[0], entries[1], entries[1], entries[2]]) == ["E_SPOOL_DUPLICATE_SEQUENCE"]
    forged = copy.deepcopy(entries[2])
    forged["prev_entry_digest"] = "f" * 64  # a re-hashed entry spliced in from elsewhere
    forged["entry_digest"] = entry_digest(forged)
    assert codes([entries[0], entries[1], forged]) == ["E_SPOOL_BROKEN_LINK"]


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda e: e.pop("sequence"), "sequence"),
        (lambda e: e.update(extra=1), "unknown member"),
        (lambda e: e.update(entry_digest="X" * 64), "entry_digest"),
        (lambda e: e.update(action="x"), "action"),
    ],
)
def test_malformed_entries(mutate: Any, why: str) -> None:
    entries = vector_entries()
    mutate(entries[0])
    problems = check_chain(entries)
    assert problems[0].code.value == "E_SPOOL_MALFORMED"
    assert why in problems[0].message


def test_parse_lines_reports_torn_and_invalid_lines() -> None:
    data = (VECTORS / "spool" / "spool.jsonl").read_bytes()
    _, problems = parse_lines(data[:-40])
    assert next((p.code.value, p.line) for p in problems) == ("E_SPOOL_MALFORMED", 3)
    _, problems = parse_lines(b"{}\nnot json\n")
    assert problems[0].line == 2


# -- the file ---------------------------------------------------------------------------------------


def test_spool_appends_and_reopens(tmp_path: Path, events: list[Any], config: AdapterConfig) -> None:
    spool = Spool.open(tmp_path)
    for event in events:
        mapped = map_adapter_event(event, config)
        digests = [
            None if b is None else payload_digest(b) for b in (mapped.input_bytes, mapped.output_bytes)
        ]
        spool.append(mapped.action, digests[0], digests[1])
    spool.close()
    assert (tmp_path / "spool.jsonl").read_bytes() == (VECTORS / "spool" / "spool.jsonl").read_bytes()
    again = Spool.open(tmp_path)
    assert again.sequence == 3
    assert again.head == vector_entries()[-1]["entry_digest"]
    again.close()


def test_single_writer_lock(tmp_path: Path) -> None:
    first = Spool.open(tmp_path)
    with pytest.raises(AuditError) as exc:
        Spool.open(tmp_path)
    assert exc.value.code == "E_LOCKFILE"
    first.close()
    Spool.open(tmp_path).close()


def test_torn_tail_is_moved_aside_not_lost(tmp_path: Path) -> None:
    data = (VECTORS / "spool" / "spool.jsonl").read_bytes()
    (tmp_path / "spool.jsonl").write_bytes(data + b'{"captured_at":"2026')
    spool = Spool.open(tmp_path)
    assert spool.sequence == 3
    assert [w.code for w in spool.warnings] == ["W_SPOOL_TAIL_REPAIRED"]
    assert (tmp_path / "spool.jsonl.torn").read_bytes() == b'{"captured_at":"2026\n'
    spool.close()
    assert (tmp_path / "spool.jsonl").read_bytes() == data


def test_a_damaged_chain_is_never_appended_to(tmp_path: Path) -> None:
    lines = (VECTORS / "spool" / "spool.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "spool.jsonl").write_bytes(lines[0] + lines[2])
    with pytest.raises(AuditError) as exc:
        Spool.open(tmp_path)
    assert exc.value.code == "E_SPOOL_ENTRY_MISSING"
    assert not (tmp_path / "spool.jsonl.lock").exists()


def test_a_failed_write_leaves_no_partial_line(tmp_path: Path) -> None:
    spool = Spool.open(tmp_path)
    action = {"id": "a", "kind": "tool.call", "platform": "openclaw", "started_at": "2026-01-15T11:00:00Z"}
    spool.append(action, None, None)

    class FullDisk(io.BufferedWriter):
        def write(self, data: Any) -> int:
            super().write(data[:10])
            super().flush()
            raise OSError(28, "No space left on device")

    real = spool._fh
    assert real is not None
    spool._fh = FullDisk(io.FileIO(spool.path, "ab"))
    real.close()
    with pytest.raises(OSError, match="No space"):
        spool.append(action | {"id": "b"}, None, None)
    assert spool.sequence == 1
    spool.append(action | {"id": "c"}, None, None)
    spool.close()
    entries, problems = parse_lines(spool.path.read_bytes())
    assert problems == []
    assert check_chain(entries) == []
    assert [e["action"]["id"] for e in entries] == ["a", "c"]


def test_spool_limits(tmp_path: Path) -> None:
    spool = Spool.open(tmp_path, max_entries=1)
    action = {"id": "a", "kind": "tool.call", "platform": "openclaw", "started_at": "2026-01-15T11:00:00Z"}
    spool.append(action, None, None)
    with pytest.raises(AuditError) as exc:
        spool.append(action | {"id": "b"}, None, None)
    assert exc.value.code == "E_SPOOL_FULL"
    spool.close()


# -- dedupe index -----------------------------------------------------------------------------------


def test_dedupe_index_replays_the_upstream_op_log(tmp_path: Path) -> None:
    (tmp_path / "dedupe.idx").write_bytes((VECTORS / "spool" / "dedupe.idx").read_bytes() + b"garbage\n")
    index = DedupeIndex.open(tmp_path)
    ids = [e["action"]["id"] for e in vector_entries()]
    assert all(index.has(i) and index.emitted(i) for i in ids)
    assert [w.code for w in index.warnings] == ["W_DEDUPE_LINE_SKIPPED"]  # reported, not silently skipped
    index.close()


def test_dedupe_index_is_repaired_from_the_spool(tmp_path: Path) -> None:
    index = DedupeIndex.open(tmp_path)
    assert index.reconcile(vector_entries()) == 3
    assert index.reconcile(vector_entries()) == 0
    assert not index.emitted(vector_entries()[0]["action"]["id"])
    index.close()
    lines = (tmp_path / "dedupe.idx").read_bytes().splitlines()
    assert lines == (VECTORS / "spool" / "dedupe.idx").read_bytes().splitlines()[:3]

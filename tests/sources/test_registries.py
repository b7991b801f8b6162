"""`sessions.json` is read one entry at a time (issue 17, memory): the same metadata and problems as
decoding it whole, without holding every entry's decoded form at once."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from clawscope.model import ProblemCode
from clawscope.sources import registries
from clawscope.sources.registries import RegistryResult, read_sessions_json

T = TypeVar("T")
SNAPSHOT = "x" * 2_000  # what real entries carry besides their links (skill and prompt snapshots)


def _transient(read: Callable[[], T]) -> tuple[T, int]:
    """What `read` returns, and the memory it held at its peak beyond what it returns (bytes)."""
    tracemalloc.start()
    try:
        got = read()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return got, peak - kept


def _store(path: Path, n: int) -> Path:
    entries = {
        f"agent:main:telegram:direct:{i}": {
            "sessionId": f"00000000-0000-4000-8000-{i:012d}",
            "updatedAt": 1_790_000_000_000 + i,
            "channel": "telegram",
            "label": f"chat {i}",
            "sessionFile": f"/state/agents/main/sessions/{i}.jsonl",
            "skillsSnapshot": {"prompt": SNAPSHOT},
        }
        for i in range(n)
    }
    entries["broken"] = {"no": "session id"}
    path.write_text(json.dumps(entries))
    return path


def _whole(path: Path) -> RegistryResult:
    """The reference: the file decoded whole, then each entry read."""
    data = json.loads(path.read_text())
    return registries._read_entries(iter(data.items()), str(path), "main", "test", RegistryResult())


def test_entries_read_one_at_a_time_give_what_the_whole_file_gives(tmp_path: Path) -> None:
    path = _store(tmp_path / "sessions.json", 50)
    got = read_sessions_json(str(path), "main", "test")
    want = _whole(path)
    assert got.metas == want.metas and len(got.metas) == 50
    assert got.session_files == want.session_files
    assert [p.code for p in got.problems] == [ProblemCode.MISSING_FIELD]


def test_a_store_that_is_not_an_object_or_not_json_is_still_one_problem(tmp_path: Path) -> None:
    for body, code in (
        (b"[1, 2]", ProblemCode.NOT_AN_OBJECT),
        (b'{"a": {"sessionId": "s"', ProblemCode.INVALID_JSON),
        (b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", ProblemCode.INVALID_JSON),  # too deep to decode
    ):
        path = tmp_path / "sessions.json"
        path.write_bytes(body)
        got = read_sessions_json(str(path), "main", "test")
        assert [p.code for p in got.problems] == [code], body[:20]
        assert got.metas == []


def test_memory_beyond_the_file_and_the_metadata_kept_is_one_entry(tmp_path: Path) -> None:
    """Decoded whole, the entries' dicts and strings came on top of the file's bytes (about twice the
    file at the peak); read one at a time, the peak is the bytes and the metadata it returns."""
    path = _store(tmp_path / "sessions.json", 4_000)
    size = path.stat().st_size
    got, transient = _transient(lambda: read_sessions_json(str(path), "main", "test"))
    assert len(got.metas) == 4_000
    assert transient < 1.3 * size, (transient, size)
    whole, transient_whole = _transient(lambda: _whole(path))
    assert whole.metas == got.metas
    assert transient_whole > 1.6 * size  # (what the test guards against)


def _runs(path: Path, n: int) -> Path:
    runs: dict[str, object] = {
        f"r{i}": {
            "runId": f"r{i}",
            "childSessionKey": f"agent:main:subagent:{i}",
            "requesterSessionKey": "agent:main:main",
            "task": f"task {i}",
            "createdAt": 1_790_000_000_000 + i,
            "endedAt": 1_790_000_001_000.5 + i,
            "outcome": {"status": "ok"} if i % 2 else "error",
            "frozenResultText": SNAPSHOT,  # what real runs carry besides what is kept
        }
        for i in range(n)
    }
    runs["no-id"] = {"task": "no run id"}
    runs["not-an-object"] = [1, 2]
    path.write_text(json.dumps({"version": 2, "runs": runs}))
    return path


def _whole_runs(path: Path) -> list[object]:
    """The reference: the file decoded whole, then each run read."""
    data = json.loads(path.read_text())
    found = (registries.subagent_run(v, "test") for v in data["runs"].values())
    return [r for r in found if r is not None]


def test_subagent_runs_read_one_at_a_time_give_what_the_whole_file_gives(tmp_path: Path) -> None:
    path = _runs(tmp_path / "runs.json", 50)
    got, problems = registries.read_subagent_runs(str(path), "test")
    assert got == _whole_runs(path) and len(got) == 50 and problems == []
    assert {r.outcome for r in got} == {"ok", "error"}


def test_a_runs_file_without_an_object_of_runs_or_not_json_is_still_one_problem(tmp_path: Path) -> None:
    for body, code in (
        (b"[1, 2]", ProblemCode.BAD_REGISTRY),
        (b'{"version": 2}', ProblemCode.BAD_REGISTRY),
        (b'{"runs": [1, 2]}', ProblemCode.BAD_REGISTRY),
        (b'{"runs": {"a": {"runId": "a"}', ProblemCode.INVALID_JSON),
        (b'{"runs": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}", ProblemCode.INVALID_JSON),
    ):
        path = tmp_path / "runs.json"
        path.write_bytes(body)
        got, problems = registries.read_subagent_runs(str(path), "test")
        assert [p.code for p in problems] == [code], body[:20]
        assert got == []


def test_subagent_runs_need_little_memory_beyond_the_file_and_the_runs_kept(tmp_path: Path) -> None:
    """Decoded whole, every run's dict came on top of the file's bytes; read one at a time, the peak is
    the bytes and the runs it returns."""
    path = _runs(tmp_path / "runs.json", 4_000)
    size = path.stat().st_size
    (got, _), transient = _transient(lambda: registries.read_subagent_runs(str(path), "test"))
    assert len(got) == 4_000
    assert transient < 1.3 * size, (transient, size)
    whole, transient_whole = _transient(lambda: _whole_runs(path))
    assert whole == got
    assert transient_whole > 1.6 * size  # (what the test guards against)

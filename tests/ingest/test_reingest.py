"""What a re-run decides from metadata alone, and the order of commits when workers decode (issue 17).

A re-run opens no file whose identity, size and mtime are those its cursor saved; a file whose
metadata moved is resumed at its offset only when its head and the bytes before the offset (its
tail) are still those read, so a file rewritten in place with the same size is read again. Worker
processes decode many tasks at once, but the main process commits their results in submission order,
so the database, and the order of its event log, are those of a run without workers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from clawscope.ingest import ingest
from clawscope.sources import decode_pool as pool
from clawscope.store import Store
from tests.ingest.test_incremental import build_history
from tests.support.tables import dump

SID = "00000000-0000-0000-0000-000000000000"


def _problems(store: Store) -> int:
    return store.row_counts()["problems"]


def test_an_unchanged_file_is_decided_from_its_metadata_without_reading_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    root = tmp_path / "state"
    path = build_history(root, sessions=1, turns=30) / f"{SID}.jsonl"
    with Store(sqlite_url) as store:
        ingest(store, [root], instance="t")
        problems = _problems(store)
        # Same inode, same size, same mtime, other bytes: only a read could tell, and none happens.
        st = os.stat(path)
        with path.open("r+b") as fh:
            fh.write(b"\x00" * st.st_size)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        report = ingest(store, [root], instance="t")
        assert (report.files, report.entries) == (0, 0)
        assert _problems(store) == problems  # the zeros were never decoded


def test_a_file_rewritten_in_place_with_the_same_size_is_read_again(tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "state"
    path = build_history(root, sessions=1, turns=30) / f"{SID}.jsonl"
    with Store(db_url) as store:
        first = ingest(store, [root], instance="t")
        data = path.read_bytes()
        assert len(data) > 4096 * 2  # the rewrite is past the head the cursor hashes
        lines = data.splitlines(keepends=True)
        last = json.loads(lines[-1])
        assert last["message"]["role"] == "assistant"
        new_id = "f" * len(last["id"])  # same length: the file keeps its size
        assert new_id != last["id"]
        last["id"] = new_id
        rewritten = b"".join(lines[:-1]) + json.dumps(last).encode() + b"\n"
        assert len(rewritten) == len(data)
        st = os.stat(path)
        with path.open("r+b") as fh:  # in place: the same inode
            fh.write(rewritten)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert os.stat(path).st_ino == st.st_ino and os.stat(path).st_size == st.st_size
        report = ingest(store, [root], instance="t")
        # the one new entry is found; every other (same id) is stored once
        assert (report.files, report.entries, report.llm_calls) == (1, 1, 1)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM entries")).scalar_one() == first.entries + 1
        again = ingest(store, [root], instance="t")
        assert (again.files, again.entries) == (0, 0)


def _event_order(url: str) -> list[tuple[str, str | None]]:
    with Store(url) as store, store.engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text("SELECT type, session_id FROM events ORDER BY id"))]


def test_results_of_many_worker_tasks_are_committed_in_submission_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=40, turns=3)
    # one session per task: two workers finish tasks in any order, the commits must not follow them
    monkeypatch.setattr(pool, "TASK_BYTES", 1)
    tasks = list(pool.tasks([pool.Group(str(i), [], size=10) for i in range(40)]))
    assert len(tasks) == 40
    urls = []
    for workers in (0, 2):
        url = f"sqlite:///{tmp_path / f'w{workers}.db'}"
        with Store(url) as store:
            report = ingest(store, [root], instance="t", workers=workers, batch_entries=30)
        assert report.entries == 40 * (1 + 3 * 4)
        urls.append(url)
    sequential, parallel = (Store(u) for u in urls)
    with sequential, parallel:
        assert dump(sequential) == dump(parallel)
    order = _event_order(urls[0])
    assert len({sid for _, sid in order if sid}) == 40
    assert _event_order(urls[1]) == order

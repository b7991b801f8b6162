"""Each agent's JSONL is planned and read in one stream (ingest/jsonl.py): the plan runs ahead of the
reading by the decoding in flight, not by the agent's whole history (which held every file and group
of every agent at once), and a worker pool started on the way, once the planned groups are large
enough, gives the same database as reading in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import clawscope.ingest as ingest_mod
from clawscope.ingest import ingest
from clawscope.ingest import jsonl as jsonl_mod
from clawscope.sources import decode_pool
from clawscope.store import Store
from tests.ingest.test_incremental import _dump, build_history

SESSIONS = 12


def _spy(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], list[int]]:
    """(groups planned so far at each file result handed to the writer, pool starts: groups planned)."""
    planned = [0]
    at_add: list[int] = []
    started: list[int] = []
    plan, add, pool = jsonl_mod.plan_jsonl_agent, jsonl_mod._add, jsonl_mod.DecodePool

    def counted(*args) -> Iterator[decode_pool.Group]:  # type: ignore[no-untyped-def]
        for group in plan(*args):
            planned[0] += 1
            yield group

    def added(*args) -> None:  # type: ignore[no-untyped-def]
        at_add.append(planned[0])
        add(*args)

    class Started(pool):  # type: ignore[misc,valid-type]
        def __init__(self, workers: int) -> None:
            started.append(planned[0])
            super().__init__(workers)

    monkeypatch.setattr(jsonl_mod, "plan_jsonl_agent", counted)
    monkeypatch.setattr(jsonl_mod, "_add", added)
    monkeypatch.setattr(jsonl_mod, "DecodePool", Started)
    return at_add, started


def test_in_process_each_group_is_read_as_soon_as_it_is_planned(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=SESSIONS, turns=3)
    at_add, started = _spy(monkeypatch)
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        report = ingest(store, [root], instance="t", workers=0)
    assert report.sessions == SESSIONS and started == []
    assert at_add[0] == 1  # the first group is read before the second is planned
    assert sorted(set(at_add)) == list(range(1, SESSIONS + 1))


def test_with_workers_the_plan_runs_ahead_by_the_tasks_in_flight(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "state"
    build_history(root, sessions=SESSIONS, turns=3)
    monkeypatch.setattr(decode_pool, "TASK_BYTES", 1)  # a task per group
    at_add, started = _spy(monkeypatch)
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        report = ingest(store, [root], instance="t", workers=1)
    assert report.sessions == SESSIONS and started == [0]  # asked for: started before any plan
    depth = 2  # DecodePool's tasks in flight per worker
    assert at_add[0] <= depth + 1 < SESSIONS


def test_a_pool_started_on_the_way_gives_the_same_database(tmp_path: Path, monkeypatch) -> None:
    """No worker count asked for: the pool starts once the groups planned reach POOL_MIN_BYTES (set
    here to about a third of the history); the groups held until then go to it too, in order."""
    root = tmp_path / "state"
    build_history(root, sessions=SESSIONS, turns=3)
    size = sum(p.stat().st_size for p in (root / "agents/main/sessions").glob("*.jsonl"))
    want = f"sqlite:///{tmp_path / 'seq.db'}"
    with Store(want) as store:
        ingest(store, [root], instance="t", workers=0, batch_entries=20)
    monkeypatch.setattr(ingest_mod, "POOL_MIN_BYTES", size // 3)
    monkeypatch.setattr(ingest_mod, "default_workers", lambda: 2)
    _, started = _spy(monkeypatch)
    got = f"sqlite:///{tmp_path / 'pool.db'}"
    with Store(got) as store:
        report = ingest(store, [root], instance="t", batch_entries=20)
    assert report.sessions == SESSIONS
    assert len(started) == 1 and 1 < started[0] < SESSIONS  # on the way, some groups held
    assert _dump(got) == _dump(want)


def test_progress_counts_toward_the_size_of_every_transcript(tmp_path: Path) -> None:
    """With a progress callback the total is the transcripts' size, summed before the stream starts
    (the plan keeps no list to sum); a run over unchanged files counts every byte of them."""
    root = tmp_path / "state"
    build_history(root, sessions=SESSIONS, turns=3)
    size = sum(p.stat().st_size for p in (root / "agents/main/sessions").glob("*.jsonl"))
    with Store(f"sqlite:///{tmp_path / 'a.db'}") as store:
        for run in range(2):
            calls: list[tuple[int, int]] = []
            ingest(store, [root], instance="t", workers=0, progress=lambda d, t, c=calls: c.append((d, t)))
            assert {t for _, t in calls} == {size}
            done = [d for d, _ in calls]
            assert done == sorted(done) and 0 < done[-1] <= size
            if run == 1:
                assert done[-1] == size

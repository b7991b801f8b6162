"""Detection in worker processes gives exactly what detection in this process gives (same ids, same
resolution), and a worker that lacks a chosen detector fails loudly instead of finding nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clawscope.detect import service
from clawscope.detect.runner import DetectorError
from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.model.detection import Finding
from clawscope.store import FindingQuery, Store
from tests.detect.doubles import FailedToolDetector, registered
from tests.support import builders as b

MODULES = ["tests.detect.registered_double"]


def state(root: Path) -> Path:
    sessions = b.state_dir(root)
    for i in range(12):
        call = b.assistant(tools=[b.tool_call(f"c{i}", "exec", command="false")])
        records = [b.user("go"), call, b.tool_result(f"c{i}", "exec", error=i % 2 == 0)]
        b.write_session(sessions, f"s-{i:02d}", records, key=f"agent:main:k{i}")
    return root


def test_workers_find_what_this_process_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "POOL_MIN_SESSIONS", 1)
    monkeypatch.setattr(service, "POOL_CHUNK", 5)
    root = state(tmp_path / "openclaw")
    ids = {}
    with registered():
        for workers in (0, 2):
            with Store(f"sqlite:///{tmp_path / f'w{workers}.db'}") as store:
                ingest(store, [root], instance="i", estimate=False)
                report = detect(store, {}, workers=workers, modules=MODULES)
                assert (report.detected, len(report.new)) == (12, 6)
                ids[workers] = sorted(f.id for f in store.findings.page(FindingQuery(), 100))
                off = detect(
                    store, {"test.failed-tool": {"enabled": False}}, workers=workers, modules=MODULES
                )
                assert off.resolved == 6  # settings reach the workers
    assert ids[0] == ids[2] and len(ids[0]) == 6


def test_a_worker_without_the_detector_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "POOL_MIN_SESSIONS", 1)
    root = state(tmp_path / "openclaw")
    with registered(), Store(f"sqlite:///{tmp_path / 'x.db'}") as store:
        ingest(store, [root], instance="i", estimate=False)
        with pytest.raises(DetectorError, match=r"test\.failed-tool"):
            detect(store, {}, workers=1)


@pytest.mark.parametrize(("cores", "workers"), [(None, 0), (1, 0), (2, 1), (3, 2), (8, 3)])
def test_default_workers_use_every_other_core_up_to_three(
    monkeypatch: pytest.MonkeyPatch, cores: int | None, workers: int
) -> None:
    # detection runs after ingest has finished: this process detects too, a worker per other core
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert service.default_workers() == workers


def test_a_worker_keeps_its_store_between_tasks_of_a_pass(tmp_path: Path) -> None:
    from clawscope.detect import pool

    root = state(tmp_path / "openclaw")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    with registered(), Store(url) as store:
        ingest(store, [root], instance="i", estimate=False)
        ids = store.detection.session_ids()
        try:
            first = pool.detect_chunk(url, {}, ["test.failed-tool"], ids[:6], MODULES)
            kept = pool._STATE["store"]
            second = pool.detect_chunk(url, {}, ["test.failed-tool"], ids[6:], MODULES)
            assert pool._STATE["store"] is kept
            pool.detect_chunk(
                url, {"test.failed-tool": {"enabled": False}}, ["test.failed-tool"], ids, MODULES
            )
            assert pool._STATE["store"] is not kept  # other settings: state made again
        finally:
            pool._STATE.pop("store").close()
            pool._STATE.clear()
    found = [f for chunk in (first, second) for _, _, fs in pool._DECODE.decode(chunk) for f in fs]
    assert len(found) == 6


def test_this_process_works_beside_the_workers_and_results_keep_chunk_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clawscope.detect.pool import DetectPool

    monkeypatch.setattr(service, "POOL_MIN_SESSIONS", 1)
    root = state(tmp_path / "openclaw")
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with registered(), Store(url) as store:
        ingest(store, [root], instance="i", estimate=False)
        ids = store.detection.session_ids()
        chunks = [[i] for i in ids]
        ran_here: list[str] = []

        def here(chunk: list[str]) -> list[tuple[str, str | None, list[Finding]]]:
            ran_here.extend(chunk)
            return service._detect_here(store, chunk, {}, {"test.failed-tool": FailedToolDetector()})

        for depth, expect_here in ((0, True), (100, False)):  # nothing may go to the workers / all may
            pool = DetectPool(1)
            pool.depth = depth
            try:
                out = list(pool.map(url, {}, ["test.failed-tool"], chunks, MODULES, local=here))
            finally:
                pool.close()
            assert [sid for chunk in out for sid, _, _ in chunk] == ids  # the order of the chunks
            assert sum(len(f) for chunk in out for _, _, f in chunk) == 6
            assert (sorted(ran_here) == sorted(ids)) is expect_here
            ran_here.clear()


def test_results_are_stored_in_batches_of_at_least_a_storing_batch() -> None:
    # a findings transaction costs about the same whatever its size: pool tasks are joined for storing
    chunks = [[(f"s{i}-{j}", None, []) for j in range(3)] for i in range(5)]
    joined = list(service._batched(iter(chunks), 7))
    assert [len(b) for b in joined] == [9, 6]
    assert [sid for b in joined for sid, _, _ in b] == [sid for c in chunks for sid, _, _ in c]

"""Two processes syncing the findings of the same session at the same moment (serve and a manual
`clawscope detect`) on both backends: no error, each finding stored once and reported new once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from clawscope.ingest import ingest
from clawscope.model.detection import Finding, FindingSeverity
from clawscope.store import Store
from tests.store.test_findings import make_state

ROUNDS = 15
PER_ROUND = 25
DETECTOR = "test.failed-tool"


def _findings(round_: int) -> list[Finding]:
    return [
        Finding(
            detector=DETECTOR,
            detector_version=1,
            family="tool_abuse",
            severity=FindingSeverity.WARNING,
            confidence=0.9,
            session_id="s-1",
            anchor_entry_id=f"e{round_}-{k}",
            entry_ids=(f"e{round_}-{k}",),
            message=f"failure {k}",
            evidence={"k": k},
            first_ms=1_800_000_000_000 + k,
        )
        for k in range(PER_ROUND)
    ]


def _syncer(url: str, barrier: Any, results: Any) -> None:
    new = 0
    with Store(url, auto_migrate=False, clock=lambda: 1_800_000_000_000) as store:
        for r in range(ROUNDS):
            barrier.wait(timeout=60)  # both processes start each round's sync together
            # a round's findings plus the previous rounds' (as a re-run of every detector would)
            found = [f for i in range(r + 1) for f in _findings(i)]
            new += len(store.findings.sync([("s-1", found)], [DETECTOR]).new)
    results.put(new)


def test_concurrent_syncs_of_one_session_store_each_finding_once(db_url: str, tmp_path: Path) -> None:
    make_state(tmp_path / "state")
    with Store(db_url) as store:
        ingest(store, [tmp_path / "state"], instance="i", estimate=False)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_syncer, args=(db_url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0, 0]  # neither raised (a uniqueness error did, before)
    assert results.get(timeout=5) + results.get(timeout=5) == ROUNDS * PER_ROUND  # announced once each
    with Store(db_url) as store:
        stored = store.findings.of_session("s-1")
    assert len(stored) == len({f.id for f in stored}) == ROUNDS * PER_ROUND
    assert {f.status for f in stored} == {"open"}

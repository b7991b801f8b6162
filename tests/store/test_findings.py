"""Findings storage on both backends: stable ids across re-ingest, no duplicates, resolution, pages."""

from __future__ import annotations

from pathlib import Path

from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.store import FindingQuery, Store, finding_id, finding_position
from tests.detect.doubles import FailedToolDetector
from tests.support import builders as b

DET = {FailedToolDetector.id: FailedToolDetector()}


def failing_turn(call_id: str, ts: str = "2026-11-01T10:00:02.000Z") -> list[dict]:
    return [
        b.assistant(tools=[b.tool_call(call_id, "exec", command="false")], ts=ts),
        b.tool_result(call_id, "exec", error=True),
    ]


def make_state(root: Path) -> tuple[Path, Path]:
    sessions = b.state_dir(root)
    path = b.write_session(
        sessions, "s-1", [b.user("go"), *failing_turn("c1"), *failing_turn("c2")], key="agent:main:main"
    )
    b.write_session(sessions, "s-2", [b.user("hi"), b.assistant()], key="agent:main:telegram:group:1")
    return sessions, path


def test_findings_are_stable_not_duplicated_and_resolved(db_url: str, tmp_path: Path) -> None:
    ticks = iter(range(1_800_000_000_000, 1_900_000_000_000, 1000))
    _, path = make_state(tmp_path / "state")
    with Store(db_url, clock=lambda: next(ticks)) as store:
        ingest(store, [tmp_path / "state"], instance="i", estimate=False)
        first = detect(store, {}, detectors=DET, publish=False)
        assert (first.sessions, first.detected, len(first.new)) == (2, 2, 2)
        ids = {f.id for f in first.new}
        anchors = {f.anchor_entry_id for f in first.new}
        assert ids == {finding_id("test.failed-tool", "s-1", a) for a in anchors}
        assert {(f.status, f.agent, f.instance) for f in first.new} == {("open", "main", "i")}

        again = detect(store, {}, detectors=DET, publish=False)
        assert (again.detected, again.new, again.resolved) == (0, [], 0)  # nothing changed: nothing looked at

        ingest(store, [tmp_path / "state"], instance="i", estimate=False)  # a re-ingest of the same data
        assert detect(store, {}, detectors=DET, publish=False).detected == 0
        with path.open("a") as fh:  # the session grows: one more failure
            fh.write(b.jsonl(failing_turn("c3", "2026-11-01T10:05:00.000Z")))
        ingest(store, [tmp_path / "state"], instance="i", estimate=False)
        grown = detect(store, {}, detectors=DET, publish=False)
        assert (grown.detected, len(grown.new), grown.resolved) == (1, 1, 0)
        all_ids = [f.id for f in store.findings.of_session("s-1")]
        assert len(all_ids) == len(set(all_ids)) == 3 and ids < set(all_ids)

        # new settings: the detector now ignores exec; every finding is resolved, none deleted
        cfg = {"test.failed-tool": {"ignore": ["exec"]}}
        off = detect(store, cfg, detectors=DET, publish=False)
        assert (off.detected, off.new, off.resolved) == (2, [], 3)
        kept = store.findings.of_session("s-1")
        assert [f.status for f in kept] == ["resolved"] * 3 and all(f.resolved_ms for f in kept)
        back = detect(store, {}, detectors=DET, publish=False)  # the old settings: they come back, same ids
        assert {f.id for f in back.new} == set(all_ids) and back.resolved == 0
        assert {f.status for f in store.findings.of_session("s-1")} == {"open"}

        # a partial run (other families) resolves nothing of the detectors it did not run
        part = detect(store, {}, detectors=DET, families=["loop"], publish=False)
        assert (part.detected, part.resolved) == (2, 0)
        assert store.findings.count(FindingQuery(status="open")) == 3

    # the same state into a new database: the same ids
    with Store(f"sqlite:///{tmp_path / 'other.db'}") as other:
        ingest(other, [tmp_path / "state"], instance="i", estimate=False)
        assert {f.id for f in detect(other, {}, detectors=DET, publish=False).new} == set(all_ids)


def test_pages_filters_and_counts(db_url: str, tmp_path: Path) -> None:
    sessions, _ = make_state(tmp_path / "state")
    turns = [t for i in range(5) for t in failing_turn(f"k{i}", f"2026-11-02T10:0{i}:00.000Z")]
    b.write_session(sessions, "s-3", [b.user("more"), *turns], key="agent:main:main:thread")
    with Store(db_url) as store:
        ingest(store, [tmp_path / "state"], instance="i", estimate=False)
        detect(store, {"test.failed-tool": {"severity": "critical"}}, detectors=DET, publish=False)
        everything = store.findings.page(FindingQuery(), 100)
        assert len(everything) == 7
        order = [finding_position(f) for f in everything]
        assert order == sorted(order, reverse=True)
        pages, after = [], None
        while True:
            page = store.findings.page(FindingQuery(), 3, after)
            if not page:
                break
            pages.append([f.id for f in page])
            after = finding_position(page[-1])
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [i for p in pages for i in p] == [f.id for f in everything]
        assert len(store.findings.page(FindingQuery(session_id="s-3"), 100)) == 5
        assert len(store.findings.page(FindingQuery(min_severity="warning"), 100)) == 7  # critical ≥ warning
        assert store.findings.page(FindingQuery(severity="warning"), 100) == []
        assert store.findings.page(FindingQuery(family="loop"), 100) == []
        assert store.findings.page(FindingQuery(agent="other"), 100) == []
        since = store.findings.page(FindingQuery(since_ms=everything[4].last_ms), 100)
        assert {f.session_id for f in since} == {"s-3"}
        assert store.findings.counts(FindingQuery()) == [
            {"family": "tool_abuse", "severity": "critical", "n": 7}
        ]

"""Detection over the store: which sessions to look at, running the detectors, storing and announcing.

`detect(store, config)` is what `clawscope detect`, `clawscope ingest` and `serve`'s live passes call.
Without `families` it runs every detector and only over sessions that are stale (grown, or detected
with other detector versions/settings: `store.findings.stale`), so a live pass costs the sessions it
touched. With `families`, it runs those families' detectors over every session in scope and leaves the
fingerprints alone (a partial run must not mark a session as fully detected). New findings (and ones
that come back after being resolved) are appended to the event log as `detection` events, which the
SSE stream delivers. `finding_json` is the one JSON shape of a finding (CLI `--json`, REST, events).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clawscope.detect.base import Detector, DetectorSettings
from clawscope.detect.pool import ChunkResult, DetectPool
from clawscope.detect.runner import detect_view, load_all, no_cyclic_gc, selected
from clawscope.detect.settings import all_settings, fingerprint
from clawscope.store import Event, Store, StoredFinding, ViewCache
from clawscope.timeutil import iso_ms

BATCH = 200  # sessions per view batch and per findings transaction
# Below this many sessions, a worker buys little for what it costs: its start-up takes ~0.7 CPU s of
# imports (on another core: this process detects meanwhile) and ~100 MB, detection ~1 ms a session.
POOL_MIN_SESSIONS = 1500
# Sessions per pool task: small, so that this process and the workers share the work evenly (what every
# view batch reads alike is read once per pass: `ViewCache`); each worker has POOL_DEPTH tasks queued,
# so it never waits for this process to hand it the next one.
POOL_CHUNK = 50
POOL_DEPTH = 4


@dataclass
class DetectReport:
    """What one detection pass did."""

    sessions: int = 0  # sessions in scope (examined)
    detected: int = 0  # of which were run through the detectors now (the others had not changed)
    new: list[StoredFinding] = field(default_factory=list)
    changed: int = 0
    resolved: int = 0
    seconds: float = 0.0
    touched: list[str] = field(default_factory=list)  # the sessions run through the detectors now

    def counts(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "detected": self.detected,
            "new": len(self.new),
            "changed": self.changed,
            "resolved": self.resolved,
        }


def detect(
    store: Store,
    config: Mapping[str, Any] | None = None,
    *,
    session_ids: Sequence[str] | None = None,
    families: Iterable[str] | None = None,
    force: bool = False,
    publish: bool = True,
    detectors: Mapping[str, Detector] | None = None,
    workers: int | None = None,
    modules: Sequence[str] = (),
) -> DetectReport:
    """Run the detectors over the sessions in scope (`session_ids`, else every session with entries)
    and store what they find. `ConfigError` for settings naming no detector or family.

    With many sessions to look at (a cold ingest), the chosen detectors run in `workers` processes
    (None: `default_workers()`; 0: none), which import `modules` besides the family modules (the
    detectors a worker runs are found by id in its own registry)."""
    started = time.perf_counter()
    every = load_all() if detectors is None else dict(detectors)
    settings = all_settings(config or {}, every)
    fams = None if families is None else list(families)
    chosen = selected(every, fams)
    full = fams is None
    fp = fingerprint(every, settings)
    scope = list(session_ids) if session_ids is not None else None
    if full and not force:
        todo = store.findings.stale(fp, scope)
    else:
        todo = scope if scope is not None else store.detection.session_ids()
    report = DetectReport(sessions=len(scope) if scope is not None else len(todo))
    n = default_workers() if workers is None else workers
    pool = DetectPool(n, POOL_DEPTH) if n > 0 and len(todo) >= POOL_MIN_SESSIONS else None
    size = POOL_CHUNK if pool is not None else BATCH  # pool tasks small; stored in batches either way
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    cache = ViewCache()  # one pass: what every view batch reads alike is read once
    try:
        if pool is not None:
            here = functools.partial(_detect_here, store, settings=settings, chosen=chosen, cache=cache)
            done = pool.map(store.url, config or {}, list(chosen), chunks, modules, local=here)
        else:
            done = (_detect_here(store, chunk, settings, chosen, cache) for chunk in chunks)
        for results in _batched(done, BATCH):
            synced = store.findings.sync([(sid, f) for sid, _, f in results], chosen, fp if full else None)
            report.detected += len(results)
            report.touched += [sid for sid, _, _ in results]
            report.new += synced.new
            report.changed += synced.changed
            report.resolved += synced.resolved
            if publish and synced.new:
                kinds = {sid: kind for sid, kind, _ in results}
                store.events.append([_event(f, kinds.get(f.session_id)) for f in synced.new])
    finally:
        if pool is not None:
            pool.close()
    report.seconds = time.perf_counter() - started
    return report


def default_workers() -> int:
    """Worker processes for a large detection, besides this process (which detects too): one per other
    core, up to three; none on one core. Detection runs after ingest has finished, so every core is free
    for it; this process works too, so one worker fills the second core of two (measured:
    bench/ingest.py (e), detection 27 → 16 s of wall time over 17,689 sessions)."""
    cores = os.cpu_count() or 1
    return min(3, cores - 1)


def _batched(done: Iterable[ChunkResult], n: int) -> Iterator[ChunkResult]:
    """Pool results joined into storing batches of at least `n` sessions: fewer, larger findings
    transactions (on bench/ingest.py's corpus 89 instead of 354: the parent's storing 3.4 → 3.0 s)."""
    held: ChunkResult = []
    for results in done:
        held += results
        if len(held) >= n:
            yield held
            held = []
    if held:
        yield held


def _detect_here(
    store: Store,
    chunk: list[str],
    settings: Mapping[str, DetectorSettings],
    chosen: Mapping[str, Detector],
    cache: ViewCache | None = None,
) -> ChunkResult:
    with no_cyclic_gc():
        return [
            (v.session.session_id, v.session.kind, detect_view(v, settings, detectors=chosen))
            for v in store.detection.views(chunk, cache=cache)
        ]


def finding_json(f: StoredFinding) -> dict[str, Any]:
    """The stable JSON shape of a finding (`clawscope detect --json`, the REST API, `detection` events)."""
    return {
        "id": f.id,
        "detector": f.detector,
        "family": f.family,
        "severity": f.severity,
        "confidence": f.confidence,
        "sessionId": f.session_id,
        "agent": f.agent,
        "entryIds": list(f.entry_ids),
        "message": f.message,
        "evidence": f.evidence,
        "firstAt": iso_ms(f.first_ms),
        "lastAt": iso_ms(f.last_ms),
    }


def _event(f: StoredFinding, kind: str | None) -> Event:
    payload = {**finding_json(f), "status": f.status, "detectorVersion": f.detector_version}
    ts = f.last_ms if f.last_ms is not None else f.first_ms if f.first_ms is not None else f.created_ms
    return Event(
        "detection", payload, ts, agent=f.agent, session_id=f.session_id, kind=kind, instance=f.instance
    )

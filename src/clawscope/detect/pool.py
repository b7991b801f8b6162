"""Detection on several cores: worker processes that each open the store, build the views of a chunk of
sessions and run the detectors over them, while the parent detects chunks of its own between storing
what everyone found.

A cold ingest of a large history leaves thousands of sessions to detect, and detectors are pure Python:
one core would add a third to the ingest's time. Workers are spawned (the parent may run threads),
import the family modules themselves (`runner.load_all`, plus `modules`, e.g. a test's detector), run
exactly the detectors the parent chose (by id), and return each session's findings encoded with msgspec.
A bounded number of chunks per worker is in flight, and the parent takes a chunk itself only when the
workers are full, so memory stays bounded and no core waits. Results come back in the order of the
chunks whoever ran them, so storing them is deterministic.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec

from clawscope.detect.base import Detector, DetectorSettings
from clawscope.detect.runner import DetectorError, detect_view, load_all, no_cyclic_gc
from clawscope.detect.settings import all_settings
from clawscope.model.detection import Finding
from clawscope.store import ViewCache

# (session id, its kind, its findings) per session of a chunk
ChunkResult = list[tuple[str, str | None, list[Finding]]]
_DECODE = msgspec.msgpack.Decoder(list[tuple[str, str | None, list[Finding]]])
_ENCODE = msgspec.msgpack.Encoder()


def detect_chunk(
    url: str,
    config: Mapping[str, Any],
    detector_ids: Sequence[str],
    session_ids: Sequence[str],
    modules: Sequence[str] = (),
) -> bytes:
    """In a worker: the findings of these sessions by these detectors (msgpack-encoded `ChunkResult`)."""
    store, settings, chosen, cache = _worker_state(url, config, detector_ids, modules)
    out: ChunkResult = []
    with no_cyclic_gc():
        for view in store.detection.views(session_ids, cache=cache):
            found = detect_view(view, settings, detectors=chosen)
            out.append((view.session.session_id, view.session.kind, found))
    return _ENCODE.encode(out)


# A worker's store, settings, detectors and view cache, kept from one chunk to the next of the same pass
# (opening the store, resolving the settings and reading what every view batch reads alike cost as much
# as detecting a small chunk); keyed by what made them. A worker lives for one pass (`DetectPool`).
_STATE: dict[str, Any] = {}


def _worker_state(
    url: str, config: Mapping[str, Any], detector_ids: Sequence[str], modules: Sequence[str]
) -> tuple[Any, dict[str, DetectorSettings], dict[str, Detector], ViewCache]:
    key = _ENCODE.encode([url, dict(config), list(detector_ids), list(modules)])
    if _STATE.get("key") != key:
        from clawscope.store import Store  # the worker opens its own connection

        for name in modules:
            importlib.import_module(name)
        every = load_all()
        missing = sorted(set(detector_ids) - set(every))
        if missing:
            raise DetectorError(
                f"detectors {missing} are not registered in a worker process (pass their module)"
            )
        old = _STATE.get("store")
        if old is not None:
            old.close()
        _STATE.update(
            key=key,
            store=Store(url, auto_migrate=False),
            settings=all_settings(config, every),
            chosen={i: every[i] for i in detector_ids},
            cache=ViewCache(),
        )
    return _STATE["store"], _STATE["settings"], _STATE["chosen"], _STATE["cache"]


class DetectPool:
    """A process pool of detection workers; the calling process can work beside them (`local`)."""

    def __init__(self, workers: int, depth: int = 2) -> None:
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        self.depth = depth * workers  # tasks in flight: each worker has the next ones queued

    def map(
        self,
        url: str,
        config: Mapping[str, Any],
        detector_ids: Sequence[str],
        chunks: Iterable[list[str]],
        modules: Sequence[str] = (),
        local: Callable[[list[str]], ChunkResult] | None = None,
    ) -> Iterator[ChunkResult]:
        """Each chunk's results, in the order of the chunks. A chunk goes to the workers while fewer than
        `depth` tasks are in flight there; otherwise `local` (when given) runs it in this process, so
        the caller's core works too and a worker's start-up (its imports) delays nothing. Results wait
        here until those before them are done (findings only: small)."""
        order: deque[Future[bytes] | ChunkResult] = deque()
        cfg, ids, mods = dict(config), sorted(detector_ids), tuple(modules)
        for chunk in chunks:
            busy = sum(1 for x in order if isinstance(x, Future) and not x.done())
            if local is None or busy < self.depth:
                order.append(self.executor.submit(detect_chunk, url, cfg, ids, chunk, mods))
            else:
                order.append(local(chunk))
            while order and (_ready(order[0]) or (local is None and len(order) >= self.depth)):
                yield _result(order.popleft())
        while order:
            yield _result(order.popleft())

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _ready(item: Future[bytes] | ChunkResult) -> bool:
    return not isinstance(item, Future) or item.done()


def _result(item: Future[bytes] | ChunkResult) -> ChunkResult:
    return _DECODE.decode(item.result()) if isinstance(item, Future) else item

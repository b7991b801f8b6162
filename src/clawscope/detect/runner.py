"""The detection runner: loads every family module, runs the detectors over `SessionView`s.

`load_all()` imports every module of `clawscope.detect.families` (so a family is added by adding its
module; no list to edit). `detect_view(view, settings)` is pure: the same view and settings always give
the same findings, in the same order. Storing them and deciding which sessions to look at again is
`detect.service`'s job.
"""

from __future__ import annotations

import gc
import importlib
import logging
import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import msgspec

from clawscope.detect import families
from clawscope.detect.base import REGISTRY, Detector, DetectorSettings
from clawscope.model.detection import FAMILIES, Finding, SessionView

_log = logging.getLogger(__name__)


class DetectorError(Exception):
    """A detector raised or returned a malformed finding (a bug in it, never bad input)."""


def load_all() -> dict[str, Detector]:
    """Import every family module (each registers its detectors) and return the registry, by id."""
    for mod in pkgutil.iter_modules(families.__path__, families.__name__ + "."):
        importlib.import_module(mod.name)
    return dict(REGISTRY)


def selected(
    detectors: Mapping[str, Detector], families_: Iterable[str] | None = None
) -> dict[str, Detector]:
    """The detectors of these families (all when None)."""
    if families_ is None:
        return dict(detectors)
    wanted = set(families_)
    return {i: d for i, d in detectors.items() if d.family in wanted}


def detect_view(
    view: SessionView,
    settings: Mapping[str, DetectorSettings] | None = None,
    *,
    detectors: Mapping[str, Detector] | None = None,
    strict: bool = False,
) -> list[Finding]:
    """Every finding of the enabled detectors in one session, ordered by time, detector and anchor.

    A detector that raises or returns a malformed finding is skipped with a logged warning (one broken
    detector never stops the others), or raises `DetectorError` when `strict` (tests, benchmarks).
    """
    out: dict[tuple[str, str], Finding] = {}
    for det_id, det, s, params in _plan(REGISTRY if detectors is None else detectors, settings):
        try:
            found = [_checked(det, view, f) for f in det.detect(view, params)]
        except Exception as exc:  # a detector bug must not stop the others
            if strict:
                raise DetectorError(f"detector {det_id} failed on session {view.session.session_id}") from exc
            _log.warning("detector %s failed on session %s: %r", det_id, view.session.session_id, exc)
            continue
        for f in found:
            g = f if s.severity is None else msgspec.structs.replace(f, severity=s.severity)
            out.setdefault((g.detector, g.anchor_entry_id), g)
    return sorted(out.values(), key=lambda f: (f.first_ms or 0, f.detector, f.anchor_entry_id))


_Plan = list[tuple[str, Detector, DetectorSettings, dict[str, Any]]]
# The last plan made, with what it was made from: a pass calls `detect_view` with the same detectors and
# settings for every session, so they are sorted and each one's parameters merged once, not per session.
# The registry can grow (a module registers a detector), so its items are part of the key; settings
# mappings are made per pass and never changed, so theirs is their identity (kept alive here).
_LAST_PLAN: list[tuple[tuple[tuple[str, Detector], ...], object, _Plan]] = []


def _plan(dets: Mapping[str, Detector], settings: Mapping[str, DetectorSettings] | None) -> _Plan:
    """The enabled detectors in id order, with their settings and merged parameters (which detectors
    only read)."""
    items = tuple(dets.items())
    last = _LAST_PLAN[0] if _LAST_PLAN else None  # read once: another thread may replace it
    if last is not None and last[1] is settings and last[0] == items:
        return last[2]
    plan: _Plan = []
    for det_id in sorted(dets):
        det = dets[det_id]
        s = (settings or {}).get(det_id) or DetectorSettings(params=dict(det.defaults))
        if s.enabled:
            plan.append((det_id, det, s, {**det.defaults, **s.params}))
    _LAST_PLAN[:] = [(items, settings, plan)]
    return plan


def _checked(det: Detector, view: SessionView, f: Finding) -> Finding:
    if not isinstance(f, Finding):
        raise DetectorError(f"{det.id} returned {type(f).__name__}, not a Finding")
    if f.detector != det.id or f.family != det.family or f.family not in FAMILIES:
        raise DetectorError(f"{det.id} returned a finding of {f.detector}/{f.family}")
    if f.session_id != view.session.session_id:
        raise DetectorError(f"{det.id} returned a finding of another session")
    if f.anchor_entry_id not in f.entry_ids:
        f = msgspec.structs.replace(f, entry_ids=(f.anchor_entry_id, *f.entry_ids))
    return f


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused over one batch of views and detectors, then a young-generation
    pass. A batch allocates hundreds of thousands of small, acyclic objects (parsed records, texts,
    findings) that reference counting frees; the collector's passes over them cost about a quarter of
    detection (measured: bench/ingest.py (e)). Nested use keeps the outer state."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
            gc.collect(1)

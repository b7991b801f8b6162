"""The `Detector` protocol, detector settings and the registry every family module adds itself to.

A detector is a pure function of one `SessionView` and its settings: deterministic, no I/O, no wall
clock, so the same stored data always gives the same findings (and their ids stay stable).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Protocol

import msgspec

from clawscope.model.detection import Finding, FindingSeverity, SessionView


class DetectorSettings(msgspec.Struct, frozen=True):
    """What a user may change per detector. `params` holds its thresholds and allowlists by name."""

    enabled: bool = True
    severity: FindingSeverity | None = None  # overrides the detector's own severity when set
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class Detector(Protocol):
    """One detector of one family. `id` is stable (it is part of a finding's identity)."""

    id: ClassVar[str]
    version: ClassVar[int]
    family: ClassVar[str]
    defaults: ClassVar[dict[str, Any]]  # default params; DetectorSettings.params override them

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]: ...


REGISTRY: dict[str, Detector] = {}


def register(detector: Detector) -> Detector:
    """Add a detector to the registry (family modules call it at import time); ids are unique."""
    if detector.id in REGISTRY:
        raise ValueError(f"detector {detector.id!r} registered twice")
    REGISTRY[detector.id] = detector
    return detector

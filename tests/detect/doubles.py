"""A trivial registered detector for the tests of everything around the detectors (the families are
tested in their own modules): one finding per failed tool call, anchored at the call's entry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from clawscope.detect.base import REGISTRY, register
from clawscope.detect.runner import load_all
from clawscope.model.detection import Finding, FindingSeverity, SessionView


class FailedToolDetector:
    id: ClassVar[str] = "test.failed-tool"
    version: ClassVar[int] = 1
    family: ClassVar[str] = "tool_abuse"
    defaults: ClassVar[dict[str, Any]] = {"ignore": []}

    def detect(self, view: SessionView, params: dict[str, Any]) -> Iterable[Finding]:
        for t in view.tools:
            if t.status != "error" or t.name in params["ignore"] or t.call_entry_id is None:
                continue
            ids = tuple(i for i in (t.call_entry_id, t.result_entry_id) if i)
            yield Finding(
                detector=self.id,
                detector_version=self.version,
                family=self.family,
                severity=FindingSeverity.WARNING,
                confidence=0.9,
                session_id=view.session.session_id,
                anchor_entry_id=t.call_entry_id,
                entry_ids=ids,
                message=f"{t.name} failed",
                evidence={"tool": t.name, "error": t.error_text},
                first_ms=t.ts_ms,
                last_ms=t.ts_ms,
            )


@contextmanager
def registered(*detectors: Any) -> Iterator[None]:
    """Register only these detectors for one test and restore the registry after it (the family modules
    are imported first, so that none registers into the test's registry and is lost)."""
    load_all()
    saved = dict(REGISTRY)
    REGISTRY.clear()
    try:
        for d in detectors or (FailedToolDetector(),):
            register(d)
        yield
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)

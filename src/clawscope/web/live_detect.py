"""Live detection for `clawscope serve`: after every live-ingest pass, the detectors run over the
sessions that pass changed (`detect.service.detect` finds them: a session whose size, status or
detector settings differ from when it was last detected), and each new finding is appended to the
event log as a `detection` event, which the SSE stream delivers. Off with `detect_live = false`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from clawscope.detect.service import detect

if TYPE_CHECKING:
    from clawscope.web.state import AppState

log = logging.getLogger("clawscope.live")


def install(state: AppState) -> None:
    """Run detection after each live-ingest pass of this app (when `detect_live` is on)."""
    if not state.settings.detect_live:
        return

    def after_pass(_report: Any) -> None:
        report = detect(state.store, state.settings.detectors)
        if report.detected:
            log.info("detection: %s", report.counts())

    state.ingest.after.append(after_pass)

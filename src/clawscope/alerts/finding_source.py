"""The findings a `finding` rule reads: the open findings detection stored (`Store.findings`), as the
`model.detection.Finding`s the rule type takes, the newest first and at most `LIMIT` per evaluation."""

from __future__ import annotations

from collections.abc import Callable

from clawscope.model.detection import Finding, FindingSeverity
from clawscope.store import FindingQuery, Store, StoredFinding

LIMIT = 1000


def as_finding(f: StoredFinding) -> Finding:
    return Finding(
        detector=f.detector,
        detector_version=f.detector_version,
        family=f.family,
        severity=FindingSeverity(f.severity),
        confidence=f.confidence,
        session_id=f.session_id,
        anchor_entry_id=f.anchor_entry_id,
        entry_ids=tuple(f.entry_ids),
        message=f.message,
        evidence=f.evidence,
        first_ms=f.first_ms,
        last_ms=f.last_ms,
    )


def stored_findings(store: Store) -> Callable[[int], list[Finding]]:
    """Open findings whose last time is at or after a moment."""

    def since(ms: int) -> list[Finding]:
        return [as_finding(f) for f in store.findings.page(FindingQuery(status="open", since_ms=ms), LIMIT)]

    return since

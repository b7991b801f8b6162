"""Finding rules: detection findings of some families at some severity or worse, one alert each.

Detection (`clawscope.detect`) stores `model.detection.Finding`s; the evaluator is handed a source of
findings (`Context.findings`: the findings seen since a moment; by default the open findings of
`Store.findings`, see `finding_source.py`) so this rule type depends on the finding contract in
`model/`, not on how or where findings are stored. A finding's scope is its
identity (detector, session, anchor entry), so the same finding recomputed never alerts twice; it
resolves when it leaves the rule's window.
"""

from __future__ import annotations

from clawscope.alerts.rules import Rule, check_families, window_ms
from clawscope.alerts.types import Context, Signal, since_ms
from clawscope.errors import UsageError
from clawscope.model.detection import Finding, FindingSeverity


def finding_scope(f: Finding) -> str:
    return f"finding={f.detector}/{f.session_id}/{f.anchor_entry_id}"


def matches(rule: Rule, f: Finding) -> bool:
    return (not rule.families or f.family in rule.families) and f.severity.rank >= FindingSeverity(
        rule.min_severity
    ).rank


class FindingRule:
    name = "finding"

    def validate(self, rule: Rule) -> None:
        check_families(rule.families, rule.min_severity)
        window_ms(rule.window)
        if rule.scope:
            raise UsageError("a finding rule takes no scope (a finding names its session only)")

    def evaluate(self, ctx: Context, rule: Rule) -> list[Signal]:
        if ctx.findings is None:
            return []
        out = []
        for f in ctx.findings(since_ms(ctx.now_ms, rule.window)):
            if not matches(rule, f):
                continue
            msg = f"{f.severity.value} {f.family} finding in session {f.session_id}: {f.message}"
            detail = {
                "detector": f.detector,
                "family": f.family,
                "findingSeverity": f.severity.value,
                "sessionId": f.session_id,
                "entryIds": list(f.entry_ids),
                "confidence": f.confidence,
            }
            out.append(Signal(finding_scope(f), f.confidence, msg, detail))
        return out

"""Every rule type by name: the one list `parse_rule` checks against and the evaluator dispatches on."""

from __future__ import annotations

from clawscope.alerts.anomaly import Anomaly
from clawscope.alerts.findings import FindingRule
from clawscope.alerts.types import Budget, RuleType, Threshold

RULE_TYPES: dict[str, RuleType] = {t.name: t for t in (Threshold(), Budget(), Anomaly(), FindingRule())}

"""Finding rules over the findings detection stores (`Store.findings`, detect-core): each open finding
of the rule's families and severity fires once, and resolves when it leaves the window."""

from __future__ import annotations

from pathlib import Path

from clawscope.alerts.evaluate import Evaluator
from clawscope.alerts.manage import add_rule
from clawscope.detect.service import detect
from clawscope.ingest import ingest
from clawscope.store import Store
from clawscope.timeutil import parse_iso_ms
from tests.detect.doubles import FailedToolDetector
from tests.support import builders as b
from tests.support.alerts import Clock

DET = {FailedToolDetector.id: FailedToolDetector()}
AT = parse_iso_ms("2026-11-01T10:00:02Z")


def test_stored_findings_fire_finding_rules(db_url: str, tmp_path: Path) -> None:
    sessions = b.state_dir(tmp_path / "state")
    turn = [
        b.assistant(tools=[b.tool_call("c1", "exec", command="false")]),
        b.tool_result("c1", "exec", error=True),
    ]
    b.write_session(sessions, "s-1", [b.user("go"), *turn], key="agent:main:main")
    clock = Clock(AT + 60_000)
    with Store(db_url, clock=clock) as store:
        ingest(store, [tmp_path / "state"], instance="i", estimate=False)
        assert len(detect(store, {}, detectors=DET, publish=False).new) == 1
        add_rule(store, {"id": "abuse", "name": "tool abuse", "type": "finding", "families": ["tool_abuse"],
                         "window": "1h"})  # fmt: skip
        add_rule(
            store, {"id": "crit", "name": "critical only", "type": "finding", "min_severity": "critical"}
        )
        ev = Evaluator(store)
        fired = ev.run().fired
        assert [(a.rule_id, a.detail["detector"], a.detail["sessionId"]) for a in fired] == [
            ("abuse", "test.failed-tool", "s-1")
        ]
        assert "exec failed" in fired[0].message
        assert ev.run().fired == []
        clock.now = AT + 2 * 3_600_000
        assert [a.rule_id for a in ev.run().resolved] == ["abuse"]

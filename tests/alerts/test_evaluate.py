"""Evaluation on both backends, on an injected clock: grouping, cooldown, resolve notices, silences, the
daily digest, the shipped defaults, finding rules and the SSE event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clawscope.alerts.evaluate import Evaluator, install_defaults, send_test
from clawscope.alerts.rules import DEFAULT_RULES, Rule, parse_rule, to_store
from clawscope.model.detection import Finding, FindingSeverity
from clawscope.store import Store
from tests.support.alerts import DAY_MS, HOUR_MS, MIN_MS, T0, Clock, Transcripts

HOOK = {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "s3cret", "id": "hook1"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cstore(db_url: str, clock: Clock) -> Iterator[Store]:
    with Store(db_url, clock=clock) as s:
        yield s


@pytest.fixture
def tx(tmp_path: Path) -> Transcripts:
    return Transcripts(tmp_path / "state")


def put(store: Store, **raw: object) -> Rule:
    rule = parse_rule({"name": "r", **raw})
    spec, chans = to_store(rule)
    store.alert_rules.put(rule.id, rule.name, rule.type, spec, rule.enabled, chans)
    return rule


def test_session_cost_fires_once_while_firing_and_resolves_when_the_window_passes(
    cstore: Store, clock: Clock, tx: Transcripts
) -> None:
    tx.call("s1", T0, 0.6)
    tx.ingest(cstore)
    put(cstore, id="cost", measure="session_cost", threshold=1.0, window="1h", channels=[HOOK])
    ev = Evaluator(cstore)
    clock.now = T0 + MIN_MS
    assert ev.run().fired == []
    tx.call("s1", T0 + 2 * MIN_MS, 0.5)  # the session passes $1
    tx.ingest(cstore)
    clock.now = T0 + 3 * MIN_MS
    out = ev.run()
    assert [(a.scope, a.kind, round(a.value or 0, 2)) for a in out.fired] == [("session=s1", "firing", 1.1)]
    assert "session s1" in out.fired[0].message
    tx.call("s1", T0 + 4 * MIN_MS, 0.5)  # still firing, more cost: grouped into the same alert
    tx.ingest(cstore)
    clock.now = T0 + 5 * MIN_MS
    again = ev.run()
    assert again.fired == []
    assert [s.scope for s in again.firing] == ["session=s1"]
    clock.now = T0 + 4 * MIN_MS + HOUR_MS + 1  # the session's last activity left the 1 h window
    gone = ev.run()
    assert [(a.scope, a.kind) for a in gone.resolved] == [("session=s1", "resolved")]
    assert gone.firing == []
    kinds = [a.kind for a in cstore.alert_outbox.history()]
    assert kinds == ["resolved", "firing"]
    deliveries = cstore.alert_outbox.deliveries([a.alert_id for a in cstore.alert_outbox.history()])
    assert sorted(d["status"] for d in deliveries) == ["pending", "pending"]
    events = cstore.events.read_after(0)
    assert [e.type for e in events if e.type == "alert"] == ["alert", "alert"]


def test_cooldown_holds_a_second_firing_of_the_same_scope(
    cstore: Store, clock: Clock, tx: Transcripts
) -> None:
    put(cstore, id="hourly", measure="cost", threshold=1.0, window="1h", cooldown_s=3 * 3600)
    ev = Evaluator(cstore)
    tx.call("s1", T0, 1.5)
    tx.ingest(cstore)
    clock.now = T0 + MIN_MS
    assert len(ev.run().fired) == 1
    clock.now = T0 + HOUR_MS + MIN_MS
    assert len(ev.run().resolved) == 1
    tx.call("s2", T0 + 90 * MIN_MS, 2.0)  # over again, 1.5 h after firing: inside the 3 h cooldown
    tx.ingest(cstore)
    clock.now = T0 + 91 * MIN_MS
    assert ev.run().fired == []
    tx.call("s3", T0 + 3 * HOUR_MS + 10 * MIN_MS, 2.0)  # over again after the cooldown
    tx.ingest(cstore)
    clock.now = T0 + 3 * HOUR_MS + 11 * MIN_MS
    assert [a.scope for a in ev.run().fired] == [""]


def test_a_silence_mutes_a_rule_until_it_ends(cstore: Store, clock: Clock, tx: Transcripts) -> None:
    put(cstore, id="hourly", measure="cost", threshold=1.0, window="24h")
    ev = Evaluator(cstore)
    cstore.alert_rules.silence("hourly", None, T0 + 2 * HOUR_MS, "maintenance")
    tx.call("s1", T0, 1.5)
    tx.ingest(cstore)
    clock.now = T0 + MIN_MS
    assert ev.run().fired == []
    assert cstore.alert_outbox.history() == []
    clock.now = T0 + 2 * HOUR_MS  # the silence is over; still over the threshold
    assert len(ev.run().fired) == 1


def test_scope_star_makes_one_alert_per_value(cstore: Store, clock: Clock, tx: Transcripts) -> None:
    put(cstore, id="per-model", measure="calls", threshold=0, window="24h", scope={"model": "*"})
    tx.call("s1", T0, 0.1)
    tx.ingest(cstore)
    clock.now = T0 + MIN_MS
    assert [a.scope for a in Evaluator(cstore).run().fired] == ["model=claude-sonnet-4-5"]


def test_digest_holds_alerts_for_one_daily_message(cstore: Store, clock: Clock, tx: Transcripts) -> None:
    put(
        cstore,
        id="dig",
        measure="cost",
        threshold=1.0,
        window="1h",
        digest=True,
        digest_hour=8,
        channels=[HOOK],
    )
    ev = Evaluator(cstore)
    tx.call("s1", T0, 1.5)
    tx.ingest(cstore)
    clock.now = T0 + MIN_MS
    fired = ev.run().fired
    assert len(fired) == 1
    assert fired[0].digest
    assert cstore.alert_outbox.deliveries([fired[0].alert_id]) == []  # held for the digest
    clock.now = T0 + 2 * HOUR_MS  # resolved (also held); the digest of 2026-11-02 08:00 had nothing
    assert ev.run().digests == []
    clock.now = T0 + DAY_MS - 2 * HOUR_MS + MIN_MS  # 2026-11-03 08:01 UTC
    digests = ev.run().digests
    assert len(digests) == 1
    assert digests[0].value == 1.0
    assert "1 alert(s), 1 resolved" in digests[0].message
    assert len(cstore.alert_outbox.deliveries([digests[0].alert_id])) == 1
    clock.now += HOUR_MS
    assert ev.run().digests == []  # once a day


def test_defaults_ship_off_and_once(cstore: Store) -> None:
    assert install_defaults(cstore)
    rules = cstore.alert_rules.all()
    assert sorted(r.rule_id for r in rules) == sorted(r.id for r in DEFAULT_RULES)
    assert not any(r.enabled for r in rules)
    assert {r.spec["threshold"] for r in rules} == {1.0, 100_000, 10.0}
    assert cstore.alert_rules.remove("default-daily-cost")
    assert not install_defaults(cstore)
    assert len(cstore.alert_rules.all()) == 2


def test_finding_rules_match_family_and_severity(cstore: Store, clock: Clock) -> None:
    def finding(family: str, sev: FindingSeverity, anchor: str) -> Finding:
        return Finding(
            "x.y", 1, family, sev, 0.9, "sess", anchor, (anchor,), f"{family} seen", {}, T0, T0
        )  # fmt: skip

    found = [
        finding("loop", FindingSeverity.CRITICAL, "e1"),
        finding("loop", FindingSeverity.INFO, "e2"),
        finding("elevated_risk", FindingSeverity.CRITICAL, "e3"),
    ]
    put(cstore, id="loops", type="finding", families=["loop"], min_severity="warning", window="24h")
    ev = Evaluator(cstore, findings=lambda since: [f for f in found if (f.last_ms or 0) >= since])
    clock.now = T0 + MIN_MS
    fired = ev.run().fired
    assert [a.scope for a in fired] == ["finding=x.y/sess/e1"]
    assert fired[0].detail["family"] == "loop"
    assert ev.run().fired == []
    clock.now = T0 + DAY_MS + MIN_MS
    assert [a.scope for a in ev.run().resolved] == ["finding=x.y/sess/e1"]


def test_send_test_queues_a_notice_to_each_channel(cstore: Store) -> None:
    put(cstore, id="t", measure="cost", threshold=5, channels=[HOOK, {**HOOK, "id": "hook2"}])
    alert = send_test(cstore, "t")
    assert alert is not None
    assert alert.kind == "test"
    assert len(cstore.alert_outbox.deliveries([alert.alert_id])) == 2
    assert send_test(cstore, "nope") is None


def test_a_broken_rule_does_not_stop_the_others(cstore: Store, clock: Clock, tx: Transcripts) -> None:
    put(cstore, id="good", measure="cost", threshold=1.0, window="24h")
    spec, _ = to_store(parse_rule({"name": "bad", "measure": "cost", "threshold": 1}))
    cstore.alert_rules.put("bad", "bad", "threshold", {**spec, "window": "forever"}, True)
    tx.call("s1", T0, 1.5)
    tx.ingest(cstore)
    clock.now = T0 + MIN_MS
    out = Evaluator(cstore).run()
    assert [a.rule_id for a in out.fired] == ["good"]
    assert out.errors
    assert out.errors[0].startswith("bad:")

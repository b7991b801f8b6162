"""Evaluating the enabled rules at a moment: what fires, what still fires, what resolves, and digests.

The same for every rule type and every caller (`serve` after each ingest pass and on a timer, and
`clawscope alerts check`), on an injected clock. Per rule and scope:

* grouping: one alert while it stays firing (the store's state row; later evaluations see it firing);
* cooldown: after firing, the same rule and scope does not fire again for `cooldown_s`;
* silences: a silenced rule or scope is not evaluated into any change until the silence ends;
* resolve notices: when a firing scope no longer fires, a `resolved` notice (if the rule sends them);
* digest: a rule with `digest` holds its alerts; once a day at `digest_hour` UTC one message lists the
  previous 24 hours' (sent once, whichever process makes it);
* re-send: while a scope keeps firing, a `refresh` notice goes to the rule's Alertmanager channels once
  per resend interval since it fired (its id names the interval, so one process makes each), because
  Alertmanager ends an alert that is not re-sent before its `endsAt` (`channels.py`).

State changes are made in the database so that, with several processes, exactly one makes each and
writes the alert and its outbox rows; delivery is `deliver.py`'s.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from clawscope.alerts.channels import payload, resend_s
from clawscope.alerts.finding_source import stored_findings
from clawscope.alerts.gateway import ABORT
from clawscope.alerts.registry import RULE_TYPES
from clawscope.alerts.rules import DEFAULT_RULES, Rule, from_store, to_store
from clawscope.alerts.types import Context, period_start
from clawscope.model.detection import Finding
from clawscope.store import AlertRecord, Event, Silence, StateRow, Store
from clawscope.timeutil import iso_ms

log = logging.getLogger("clawscope.alerts")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass
class Outcome:
    """What one evaluation did."""

    fired: list[AlertRecord] = field(default_factory=list)
    resolved: list[AlertRecord] = field(default_factory=list)
    digests: list[AlertRecord] = field(default_factory=list)
    firing: list[StateRow] = field(default_factory=list)  # every rule and scope firing after it
    errors: list[str] = field(default_factory=list)  # rules that could not be evaluated

    def to_json(self) -> dict[str, Any]:
        return {
            "fired": [alert_json(a) for a in self.fired],
            "resolved": [alert_json(a) for a in self.resolved],
            "digests": [alert_json(a) for a in self.digests],
            "firing": [
                {"ruleId": s.rule_id, "scope": s.scope, "since": iso_ms(s.since_ms), "value": s.value}
                for s in self.firing
            ],
            "errors": self.errors,
        }


def alert_json(a: AlertRecord) -> dict[str, Any]:
    """What the API and the stream show of an alert: what channels send, and whether it is a digest."""
    return {**payload(a), "digest": a.digest}


def install_defaults(store: Store) -> bool:
    """The seed's three rules, disabled, once per database (see `rules.DEFAULT_RULES`)."""
    return store.alert_rules.seed_defaults([(r.id, r.name, r.type, to_store(r)[0]) for r in DEFAULT_RULES])


class Evaluator:
    """Evaluates the store's enabled rules; `publish` hears of each alert this process made."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], int] | None = None,
        findings: Callable[[int], Iterable[Finding]] | None = None,
        publish: Callable[[AlertRecord], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or store.clock
        self.findings = findings if findings is not None else stored_findings(store)
        self.publish = publish or self._to_event_log

    def run(self) -> Outcome:
        now = self.clock()
        out = Outcome()
        ctx = Context(self.store, now, self.findings)
        silences = self.store.alert_rules.silences(active_at=now)
        states: dict[str, dict[str, StateRow]] = {}
        for st in self.store.alert_outbox.states():
            states.setdefault(st.rule_id, {})[st.scope] = st
        for stored in self.store.alert_rules.all(enabled_only=True):
            rule = from_store(stored)
            try:
                signals = RULE_TYPES[rule.type].evaluate(ctx, rule)
            except Exception as exc:  # one broken rule never stops the others (nor ingest)
                log.warning("alert rule %s could not be evaluated: %s", rule.id, exc)
                out.errors.append(f"{rule.id}: {exc.__class__.__name__}: {exc}")
                continue
            current = {s.scope: s for s in signals}
            self._apply(rule, current, states.get(rule.id, {}), silences, now, out)
            self._refresh(rule, current, states.get(rule.id, {}), silences, now)
            if rule.digest:
                self._digest(rule, now, out)
        out.firing = self.store.alert_outbox.states(firing_only=True)
        return out

    def _apply(
        self,
        rule: Rule,
        current: dict[str, Any],
        states: dict[str, StateRow],
        silences: list[Silence],
        now: int,
        out: Outcome,
    ) -> None:
        channels = [c.id for c in rule.channels if c.id]
        actions = [ABORT] if rule.abort_session else []  # delivered by the outbox like a message
        for scope, sig in current.items():
            st = states.get(scope)
            if (st is not None and st.firing) or _silenced(silences, rule.id, scope, now):
                continue
            alert = AlertRecord(
                _new_id(), rule.id, rule.name, scope, "firing", rule.severity, sig.value, sig.message,
                sig.detail, now, rule.digest,
            )  # fmt: skip
            if self.store.alert_outbox.fire(alert, rule.cooldown_s * 1000, channels + actions):
                out.fired.append(alert)
                self.publish(alert)
        for scope, st in states.items():
            if not st.firing or scope in current or _silenced(silences, rule.id, scope, now):
                continue
            alert = AlertRecord(
                _new_id(), rule.id, rule.name, scope, "resolved", rule.severity, st.value,
                f"resolved: {rule.name}" + (f" ({scope})" if scope else ""),
                {"firingSince": iso_ms(st.since_ms)}, now, rule.digest,
            )  # fmt: skip
            if self.store.alert_outbox.resolve(alert, channels if rule.resolve_notice else []):
                out.resolved.append(alert)
                self.publish(alert)

    def _refresh(
        self,
        rule: Rule,
        current: dict[str, Any],
        states: dict[str, StateRow],
        silences: list[Silence],
        now: int,
    ) -> None:
        """Re-send what still fires to the rule's Alertmanager channels, once per resend interval."""
        am = [c for c in rule.channels if c.kind == "alertmanager" and c.id]
        if not am or rule.digest:
            return
        every_ms = min(resend_s(c.options) for c in am) * 1000
        for scope, st in states.items():
            sig = current.get(scope)
            if not st.firing or sig is None or _silenced(silences, rule.id, scope, now):
                continue
            slot = (now - st.since_ms) // every_ms
            if slot < 1:
                continue
            alert = AlertRecord(
                f"{st.alert_id}-rs{slot}", rule.id, rule.name, scope, "refresh", rule.severity, sig.value,
                sig.message, {**sig.detail, "firingSince": iso_ms(st.since_ms), "refreshOf": st.alert_id},
                now,
            )  # fmt: skip
            try:
                self.store.alert_outbox.record(alert, [c.id for c in am if c.id])
            except Exception as exc:  # another process recorded the same re-send first
                log.debug("alert re-send %s not recorded: %s", alert.alert_id, exc.__class__.__name__)

    def _digest(self, rule: Rule, now: int, out: Outcome) -> None:
        due = period_start(now, "day") + rule.digest_hour * HOUR_MS
        if now < due:
            due -= DAY_MS
        held = [
            a
            for a in self.store.alert_outbox.history(1000, rule.id, due - DAY_MS, due, digest_only=True)
            if a.kind in ("firing", "resolved")
        ]
        if not held:
            return
        firing = sum(1 for a in held if a.kind == "firing")
        lines = [f"{iso_ms(a.at_ms)} {a.kind}: {a.message}" for a in reversed(held)]
        digest = AlertRecord(
            f"digest-{rule.id}-{str(iso_ms(due))[:10]}", rule.id, rule.name, "", "digest", rule.severity,
            float(firing), f"daily digest of {rule.name}: {firing} alert(s), {len(held) - firing} resolved\n"
            + "\n".join(lines), {"alerts": [a.alert_id for a in held], "until": iso_ms(due)}, now,
        )  # fmt: skip
        if self.store.alert_outbox.record(digest, [c.id for c in rule.channels if c.id]):
            out.digests.append(digest)
            self.publish(digest)

    def _to_event_log(self, alert: AlertRecord) -> None:
        """The SSE stream's `alert` event (written once: only the process that made the alert gets here)."""
        try:
            self.store.events.append([Event("alert", alert_json(alert), ts_ms=alert.at_ms)])
        except Exception as exc:  # the stream is a view; the alert itself is stored
            log.warning("could not publish alert event: %s", exc.__class__.__name__)


def send_test(store: Store, rule_id: str, now_ms: int | None = None) -> AlertRecord | None:
    """Queue a test notice to a rule's channels (None: no such rule)."""
    stored = store.alert_rules.get(rule_id)
    if stored is None:
        return None
    rule = from_store(stored)
    alert = AlertRecord(
        _new_id(), rule.id, rule.name, "test", "test", rule.severity, None,
        f"test notice from clawscope for rule {rule.name!r}", {}, store.clock() if now_ms is None else now_ms,
    )  # fmt: skip
    store.alert_outbox.record(alert, [c.channel_id for c in stored.channels])
    return alert


def _silenced(silences: list[Silence], rule_id: str, scope: str, now: int) -> bool:
    return any(s.covers(rule_id, scope, now) for s in silences)


def _new_id() -> str:
    return "al_" + uuid.uuid4().hex[:20]

"""Managing rules and reading alerts, the same for the CLI, the REST API and the dashboard: JSON-shaped
dicts in and out, `UsageError`/`NotFoundError` for what a person got wrong."""

from __future__ import annotations

from typing import Any

from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.evaluate import alert_json, install_defaults, send_test
from clawscope.alerts.rules import describe, from_store, parse_rule, to_store
from clawscope.errors import NotFoundError
from clawscope.store import Store
from clawscope.timeutil import iso_ms


def add_rule(store: Store, raw: dict[str, Any] | bytes, *, check_hosts: bool = True) -> dict[str, Any]:
    """Create (or, with an existing `id`, replace) a rule from checked input."""
    rule = parse_rule(raw, check_hosts=check_hosts)
    spec, channels = to_store(rule)
    stored = store.alert_rules.put(rule.id, rule.name, rule.type, spec, rule.enabled, channels)
    return describe(from_store(stored), stored)


def get_rule(store: Store, rule_id: str) -> dict[str, Any]:
    stored = store.alert_rules.get(rule_id)
    if stored is None:
        raise NotFoundError(f"no alert rule {rule_id!r}")
    return describe(from_store(stored), stored)


def list_rules(store: Store) -> list[dict[str, Any]]:
    """Every rule (the shipped defaults, off, included from the first look on) with what fires now."""
    install_defaults(store)
    firing: dict[str, list[str]] = {}
    for st in store.alert_outbox.states(firing_only=True):
        firing.setdefault(st.rule_id, []).append(st.scope)
    out = []
    for stored in store.alert_rules.all():
        d = describe(from_store(stored), stored)
        d["firing"] = firing.get(stored.rule_id, [])
        out.append(d)
    return out


def remove_rule(store: Store, rule_id: str) -> None:
    if not store.alert_rules.remove(rule_id):
        raise NotFoundError(f"no alert rule {rule_id!r}")
    store.alert_outbox.forget(rule_id)


def set_enabled(store: Store, rule_id: str, enabled: bool) -> dict[str, Any]:
    if not store.alert_rules.set_enabled(rule_id, enabled):
        raise NotFoundError(f"no alert rule {rule_id!r}")
    return get_rule(store, rule_id)


def firing(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "ruleId": s.rule_id,
            "scope": s.scope,
            "since": iso_ms(s.since_ms),
            "value": s.value,
            "alertId": s.alert_id,
        }
        for s in store.alert_outbox.states(firing_only=True)
    ]


def history(store: Store, limit: int = 100, rule_id: str | None = None) -> list[dict[str, Any]]:
    """Alerts and notices, newest first, each with its deliveries and their attempts."""
    alerts = store.alert_outbox.history(limit, rule_id)
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for d in store.alert_outbox.deliveries([a.alert_id for a in alerts]):
        by_alert.setdefault(d["alert_id"], []).append(
            {
                "deliveryId": d["delivery_id"],
                "channelId": d["channel_id"],
                "status": d["status"],
                "attempts": [
                    {
                        "attempt": t["attempt"],
                        "at": iso_ms(t["at_ms"]),
                        "ok": bool(t["ok"]),
                        "statusCode": t["status_code"],
                        "error": t["error"],
                        "latencyMs": round(float(t["latency_ms"]), 1),
                    }
                    for t in d["tries"]
                ],
            }
        )
    return [{**alert_json(a), "deliveries": by_alert.get(a.alert_id, [])} for a in alerts]


def silence(store: Store, rule_id: str | None, scope: str | None, until_ms: int, reason: str | None) -> str:
    if rule_id is not None and store.alert_rules.get(rule_id) is None:
        raise NotFoundError(f"no alert rule {rule_id!r}")
    return store.alert_rules.silence(rule_id, scope, until_ms, reason)


def send_test_notice(store: Store, rule_id: str, deliverer: Deliverer | None = None) -> dict[str, Any]:
    """Queue a test notice to the rule's channels and, with a deliverer, send it now."""
    alert = send_test(store, rule_id)
    if alert is None:
        raise NotFoundError(f"no alert rule {rule_id!r}")
    if deliverer is not None:
        deliverer.drain()
    return next(h for h in history(store, 50, rule_id) if h["alertId"] == alert.alert_id)

"""What the Alerts page shows and does, over `clawscope.alerts.manage` (the functions the API and the
CLI use): rules, what fires now, the history with deliveries; the rule form (checked again on the
server, whatever the browser let through) and "send a test"."""

from __future__ import annotations

from typing import Any

from clawscope.alerts import manage
from clawscope.alerts.deliver import Deliverer
from clawscope.alerts.rules import CHANNEL_KINDS, MEASURES
from clawscope.errors import ClawscopeError
from clawscope.store import Store

__all__ = ["CHANNEL_KINDS", "MEASURES", "add_rule", "overview", "send_test"]
TEST_TIMEOUT_S = 5.0


def overview(store: Store) -> dict[str, Any]:
    return {
        "rules": manage.list_rules(store),
        "firing": manage.firing(store),
        "history": manage.history(store, 50),
    }


def add_rule(store: Store, form: dict[str, str]) -> str | None:
    """Create a rule from the page's form; the error message, or None when it was created."""
    raw: dict[str, Any] = {"name": form.get("name", ""), "type": form.get("type") or "threshold"}
    for key in ("measure", "window", "severity", "period"):
        if form.get(key):
            raw[key] = form[key]
    for key in ("threshold", "amount"):
        if form.get(key):
            try:
                raw[key] = float(form[key])
            except ValueError:
                return f"{key} must be a number, not {form[key]!r}"
    if form.get("abort_session"):  # a checkbox: sent only when ticked
        raw["abort_session"] = True
    if form.get("channel_kind") and form.get("channel_url"):
        ch: dict[str, Any] = {"kind": form["channel_kind"], "url": form["channel_url"]}
        if form.get("channel_secret"):
            ch["secret"] = form["channel_secret"]
        if form.get("channel_to"):
            ch["options"] = {"chat_id" if ch["kind"] == "telegram" else "to": form["channel_to"]}
        raw["channels"] = [ch]
    try:
        manage.add_rule(store, raw)
    except ClawscopeError as exc:
        return str(exc)
    return None


def send_test(store: Store, rule_id: str) -> dict[str, Any]:
    with Deliverer(store, timeout_s=TEST_TIMEOUT_S) as deliverer:
        return manage.send_test_notice(store, rule_id, deliverer)

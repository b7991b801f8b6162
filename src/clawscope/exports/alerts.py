"""Alerting in the monitoring exports: metric families (registered in `metrics.SOURCES`, so on
`GET /metrics` and in OTLP metrics) and the "Alerts" Grafana dashboard (in `dashboards.EXTRA_DASHBOARDS`).

Families, all read from the store (the same in every server process, right after a restart):

* `clawscope_alerts_firing{rule, severity}` (gauge): scopes of each enabled rule firing now, 0 when none
  (one series per enabled rule, capped at `max_values` rules, the rest as `other`);
* `clawscope_alerts_total{kind, severity}` (counter): alerts and notices made (firing, resolved, digest,
  test; re-sends to Alertmanager are deliveries, not alerts);
* `clawscope_alert_notifications_total{channel, outcome}` (counter): deliveries finished per channel kind,
  `sent` or `failed` (after their retries); a rule's action (`abort_session`: chat.abort at the gateway)
  counts as channel `action`, a delivery of a removed channel as `removed`;
* `clawscope_alert_notifications_pending{channel}` (gauge): deliveries waiting (the outbox's depth).

Every channel kind x outcome pair is exposed from the start, so panels and alert expressions have their
series before the first alert. Imported by `clawscope.exports` (its package init); the MCP tool
`list_alerts` is `alerts_mcp` (it needs the MCP SDK, which a scrape does not load).
"""

from __future__ import annotations

from collections.abc import Iterable

from clawscope.exports.dashboards import EXTRA_DASHBOARDS, Dashboard, Panel, q
from clawscope.exports.metrics import register
from clawscope.exports.promql import increase, one, or_zero
from clawscope.model.metrics import OTHER, MetricFamily, Sample, capped
from clawscope.store import Store

FIRING = "clawscope_alerts_firing"
ALERTS = "clawscope_alerts"
NOTIFICATIONS = "clawscope_alert_notifications"
PENDING = "clawscope_alert_notifications_pending"
SEVERITIES = ("info", "warning", "critical")
KINDS = ("firing", "resolved", "digest", "test")
CHANNELS = ("webhook", "slack", "discord", "telegram", "ntfy", "email", "alertmanager")
OUTCOMES = ("sent", "failed")


@register
def alert_families(store: Store, max_values: int) -> Iterable[MetricFamily]:
    """The alert families, from the store."""
    enabled = store.alert_rules.all(enabled_only=True)
    rules = {r.rule_id: str(r.spec.get("severity", "warning")) for r in enabled}
    named = capped(dict.fromkeys(rules), max_values)
    firing: dict[tuple[str, str], float] = {}
    for rule_id, severity in rules.items():
        key = (rule_id if rule_id in named else OTHER, severity)
        firing[key] = firing.get(key, 0.0)
    for st in store.alert_outbox.states(firing_only=True):
        if st.rule_id in rules:
            key = (st.rule_id if st.rule_id in named else OTHER, rules[st.rule_id])
            firing[key] += 1
    counts = store.alert_outbox.metric_counts()
    made = {(k, s): 0.0 for k in KINDS for s in SEVERITIES}
    for kind, severity, n in counts["alerts"]:
        made[kind, severity] = made.get((kind, severity), 0.0) + n
    done = {(c, o): 0.0 for c in CHANNELS for o in OUTCOMES}
    pending = {(c,): 0.0 for c in CHANNELS}
    for channel, status, n in counts["deliveries"]:
        if status == "pending":
            pending[(channel,)] = pending.get((channel,), 0.0) + n
        else:
            done[channel, status] = done.get((channel, status), 0.0) + n
    return [
        MetricFamily(
            FIRING,
            "gauge",
            "Scopes of each enabled alert rule that fire now (clawscope alerts), by rule id and severity.",
            ("rule", "severity"),
            [Sample(k, v) for k, v in sorted(firing.items())],
        ),
        MetricFamily(
            ALERTS,
            "counter",
            "Alerts and notices clawscope made, by kind (firing, resolved, digest, test) and severity.",
            ("kind", "severity"),
            [Sample(k, v) for k, v in sorted(made.items())],
        ),
        MetricFamily(
            NOTIFICATIONS,
            "counter",
            "Alert deliveries finished, by channel kind and outcome (sent; failed after its retries).",
            ("channel", "outcome"),
            [Sample(k, v) for k, v in sorted(done.items())],
        ),
        MetricFamily(
            PENDING,
            "gauge",
            "Alert deliveries waiting to be sent or retried, by channel kind.",
            ("channel",),
            [Sample(k, v) for k, v in sorted(pending.items())],
        ),
    ]


def _sum(metric: str, by: str = "", *matchers: str) -> str:
    grouping = f" by ({by})" if by else ""
    selector = f"{metric}{{{', '.join(matchers)}}}" if matchers else metric
    return or_zero(f"sum{grouping} ({one(selector)})")


def _increase(metric: str, by: str, *matchers: str) -> str:
    return or_zero(increase(metric, "1h", by, *matchers, filtered=False))


def _stat(title: str, expr: str, description: str = "") -> Panel:
    return Panel(title, "stat", (q(expr),), "short", description, width=6, height=4)


NOTIFIED = f"{NOTIFICATIONS}_total"
MADE = f"{ALERTS}_total"
ALERTS_DASHBOARD = Dashboard(
    "clawscope-alerts",
    "clawscope / Alerts",
    "What clawscope's alert rules fire now, the alerts they made, and how their notifications went "
    "(`clawscope alerts`).",
    (
        _stat("Firing now", _sum(FIRING), "Scopes of enabled rules that fire now."),
        _stat("Critical firing", _sum(FIRING, "", 'severity="critical"')),
        _stat("Notifications failed", _sum(NOTIFIED, "", 'outcome="failed"'), "After all their retries."),
        _stat("Notifications waiting", _sum(PENDING), "The outbox: deliveries due or being retried."),
        Panel("Firing by rule", "bargauge", (q(_sum(FIRING, "rule, severity"), "{{rule}} ({{severity}})"),)),
        Panel(
            "Firing by severity",
            "timeseries",
            (q(_sum(FIRING, "severity"), "{{severity}}"),),
            "short",
            "How many scopes fired at each moment.",
        ),
        Panel(
            "Alerts made",
            "timeseries",
            (q(_increase(MADE, "kind"), "{{kind}}"),),
            "short",
            "Alerts and notices per hour, by kind.",
        ),
        Panel(
            "Notifications per hour by channel",
            "timeseries",
            (q(_increase(NOTIFIED, "channel, outcome"), "{{channel}} {{outcome}}"),),
            "short",
        ),
        Panel(
            "Notifications, all time",
            "table",
            (q(_sum(NOTIFIED, "channel, outcome"), "{{channel}} {{outcome}}"),),
            "short",
            width=24,
        ),
    ),
)

if ALERTS_DASHBOARD not in EXTRA_DASHBOARDS:
    EXTRA_DASHBOARDS.append(ALERTS_DASHBOARD)

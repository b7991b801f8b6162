"""Alerts: rules that watch cost, budgets, anomalies and detection findings, and reach people.

`rules` (what a rule is, input checks, the shipped defaults), `types` (the one rule-type protocol;
threshold and budget), `anomaly` (robust z-score against the scope's own baseline), `findings`
(detection findings), `evaluate` (grouping, cooldown, silences, resolve notices, digests; on an injected
clock), `channels` (webhook, Slack, Discord, Telegram, ntfy, email, Alertmanager), `deliver` (the
outbox: claimed once, at-least-once with a stable id, retried with backoff) and `service` (what
`clawscope serve` runs: evaluation after each ingest pass and on a timer, and delivery).
"""

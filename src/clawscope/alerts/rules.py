"""What an alert rule is, how its input is checked, and the rules clawscope ships.

One `Rule` struct serves every rule type (threshold, budget, anomaly, finding: `types.RULE_TYPES`); the
fields a type does not use keep their defaults. Input from the CLI, the REST API, the dashboard and
`alerts.toml` goes through `parse_rule`, which raises `UsageError` with a message a person can act on
(unknown measure, negative threshold, malformed channel URL, unreachable host) and never lets a bad rule
into the store.
"""

from __future__ import annotations

import re
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import msgspec

from clawscope.errors import UsageError
from clawscope.model.detection import FAMILIES, FindingSeverity
from clawscope.store import ChannelInput, StoredRule

SEVERITIES = ("info", "warning", "critical")
# Per-session measures: each session over the threshold is its own scope (one alert per session).
SESSION_MEASURES = ("session_cost", "session_tokens")
# Measures over the rule's window (and scope).
WINDOW_MEASURES = ("cost", "tokens", "calls", "errors", "error_rate", "tool_error_rate", "cache_hit_rate")
MEASURES = SESSION_MEASURES + WINDOW_MEASURES
ANOMALY_MEASURES = ("cost", "calls")
PERIODS = ("day", "week", "month")
OPS = (">", ">=", "<", "<=")
# Scope dimensions: the first four filter directly, the others are groups of the totals.
SCOPE_DIMENSIONS = ("agent", "kind", "channel", "instance", "model", "provider", "trigger")
CHANNEL_KINDS = ("webhook", "slack", "discord", "telegram", "ntfy", "email", "alertmanager")
_WINDOW = re.compile(r"^(\d+)(m|h|d)$")
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}
CALENDAR_WINDOWS = PERIODS  # "day": since midnight UTC, "week": since Monday, "month": since the 1st


class Channel(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Where a rule's alerts go. `url` is the base URL (every channel's is configurable); `secret` is
    the signing secret, bot token or SMTP password (stored sealed, never shown again)."""

    kind: str
    url: str
    secret: str | None = None
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    id: str | None = None


class Rule(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """An alert rule. Settings by type:

    * threshold: `measure` `op` `threshold` over `window` (a duration such as `1h`, `24h`, `7d`, or
      `day`/`week`/`month` since the start of the UTC calendar period);
    * budget: `amount` USD per `period` (day/week/month); with `forecast`, a warning when the month's
      forecast (the one `/api/v1/stats/forecast` serves) passes the amount;
    * anomaly: `measure` (cost or calls) over the last `hours` hours against the same measure at every
      hour of the scope's previous `baseline_days` days, firing at a robust z-score of `z` or more and a
      value of at least `min_value` (see `anomaly.py`);
    * finding: detection findings of `families` (empty: any) at `min_severity` or worse.

    `abort_session` (off by default): when a per-session alert fires (session_cost, session_tokens, a
    finding), also ask the session's OpenClaw gateway to abort it (`chat.abort`, see `gateway.py`).

    `scope` narrows what is counted (`{"agent": "main"}`); the value `*` makes one alert per value
    (`{"model": "*"}`). `cooldown_s`: after firing, the same rule and scope does not fire again for this
    long. `digest`: alerts wait for one daily message at `digest_hour` UTC instead of going out at once.
    """

    name: str
    type: str = "threshold"
    id: str = ""
    enabled: bool = True
    severity: str = "warning"
    scope: dict[str, str] = msgspec.field(default_factory=dict)
    measure: str | None = None
    op: str = ">"
    threshold: float | None = None
    window: str = "24h"
    period: str = "month"
    amount: float | None = None
    forecast: bool = True
    z: float = 3.5
    hours: int = 6
    baseline_days: int = 7
    min_value: float = 0.0
    families: list[str] = msgspec.field(default_factory=list)
    min_severity: str = "warning"
    cooldown_s: int = 3600
    resolve_notice: bool = True
    digest: bool = False
    digest_hour: int = 8
    abort_session: bool = False
    channels: list[Channel] = msgspec.field(default_factory=list)


def window_ms(window: str) -> int | None:
    """A duration window in ms; None for a calendar window (day/week/month)."""
    if window in CALENDAR_WINDOWS:
        return None
    m = _WINDOW.match(window)
    if m is None or int(m.group(1)) <= 0:
        raise UsageError(
            f"window {window!r}: use a duration like 15m, 1h, 24h, 7d, or one of day, week, month"
        )
    return int(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_rule(raw: dict[str, Any] | bytes, *, check_hosts: bool = True) -> Rule:
    """A checked rule from JSON-like input; `UsageError` says what is wrong."""
    try:
        rule = (
            msgspec.json.decode(raw, type=Rule) if isinstance(raw, bytes) else msgspec.convert(raw, type=Rule)
        )
    except msgspec.ValidationError as exc:
        raise UsageError(f"invalid rule: {exc}") from None
    except msgspec.DecodeError as exc:
        raise UsageError(f"invalid rule JSON: {exc}") from None
    from clawscope.alerts.registry import RULE_TYPES

    if not rule.name.strip():
        raise UsageError("a rule needs a name")
    if rule.type not in RULE_TYPES:
        raise UsageError(f"unknown rule type {rule.type!r}; known: {', '.join(RULE_TYPES)}")
    if rule.severity not in SEVERITIES:
        raise UsageError(f"unknown severity {rule.severity!r}; known: {', '.join(SEVERITIES)}")
    if rule.cooldown_s < 0:
        raise UsageError("cooldown_s must not be negative")
    if not 0 <= rule.digest_hour <= 23:
        raise UsageError("digest_hour must be between 0 and 23 (UTC)")
    _check_scope(rule.scope)
    RULE_TYPES[rule.type].validate(rule)
    if rule.abort_session and not (rule.type == "finding" or rule.measure in SESSION_MEASURES):
        raise UsageError(
            "abort_session stops the session an alert is about: only for session_cost, session_tokens "
            "or finding rules"
        )
    if rule.abort_session and rule.digest:
        raise UsageError("abort_session acts at once: not with digest (whose alerts wait for the day)")
    for ch in rule.channels:
        check_channel(ch, check_hosts=check_hosts)
    ids = [ch.id for ch in rule.channels if ch.id]
    if len(ids) != len(set(ids)):
        raise UsageError("two channels of the rule have the same id")
    if not rule.id:
        rule = msgspec.structs.replace(rule, id=uuid.uuid4().hex[:12])
    return rule


def _check_scope(scope: dict[str, str]) -> None:
    unknown = [k for k in scope if k not in SCOPE_DIMENSIONS]
    if unknown:
        raise UsageError(f"unknown scope {', '.join(unknown)}; known: {', '.join(SCOPE_DIMENSIONS)}")
    grouped = [k for k in scope if k in ("model", "provider", "trigger") or scope[k] == "*"]
    if len(grouped) > 1:
        raise UsageError(
            f"scope: at most one of model, provider, trigger or a '*' value, not {', '.join(grouped)}"
        )


def check_measure(measure: str | None, allowed: tuple[str, ...]) -> str:
    if measure not in allowed:
        raise UsageError(f"unknown measure {measure!r}; known: {', '.join(allowed)}")
    return measure


def check_families(families: list[str], min_severity: str) -> None:
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise UsageError(f"unknown finding families {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    if min_severity not in {s.value for s in FindingSeverity}:
        raise UsageError(f"unknown min_severity {min_severity!r}; known: {', '.join(SEVERITIES)}")


def check_channel(ch: Channel, *, check_hosts: bool = True) -> None:
    """A channel's kind and URL are usable: scheme, host, and (with `check_hosts`) a host that resolves."""
    if ch.kind not in CHANNEL_KINDS:
        raise UsageError(f"unknown channel kind {ch.kind!r}; known: {', '.join(CHANNEL_KINDS)}")
    schemes = ("smtp", "smtps") if ch.kind == "email" else ("http", "https")
    parts = urlsplit(ch.url)
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"malformed {ch.kind} URL {ch.url!r}: bad port") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise UsageError(
            f"malformed {ch.kind} URL {ch.url!r}: expected {' or '.join(schemes)}://host[:port]/…"
        )
    if ch.kind == "email" and not ch.options.get("to"):
        raise UsageError("an email channel needs options.to (the recipient address)")
    resend = ch.options.get("resend_s")
    if (
        ch.kind == "alertmanager"
        and resend is not None
        and (not isinstance(resend, int) or isinstance(resend, bool) or not 10 <= resend <= 86_400)
    ):
        raise UsageError("options.resend_s of an alertmanager channel is whole seconds from 10 to 86400")
    if ch.kind == "telegram" and not (ch.secret and ch.options.get("chat_id")):
        raise UsageError("a telegram channel needs the bot token as its secret and options.chat_id")
    if check_hosts:
        try:
            socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise UsageError(f"unreachable host {parts.hostname!r} in the {ch.kind} URL") from None


def to_store(rule: Rule) -> tuple[dict[str, Any], list[ChannelInput]]:
    """The rule's spec (without channels and their secrets) and its channels, as the store keeps them."""
    spec = msgspec.to_builtins(msgspec.structs.replace(rule, channels=[]))
    chans = [ChannelInput(c.kind, c.url, c.secret, dict(c.options), c.id) for c in rule.channels]
    return spec, chans


def from_store(stored: StoredRule) -> Rule:
    """The rule as stored (channels without their secrets: `Channel.secret` is None)."""
    spec = {**stored.spec, "id": stored.rule_id, "name": stored.name, "enabled": stored.enabled}
    spec["channels"] = [
        {"kind": c.kind, "url": c.url, "options": c.options, "id": c.channel_id} for c in stored.channels
    ]
    return msgspec.convert(spec, type=Rule)


def describe(rule: Rule, stored: StoredRule | None = None) -> dict[str, Any]:
    """The rule as the API and `--json` show it (secrets never; whether a channel has one)."""
    out: dict[str, Any] = msgspec.to_builtins(rule)
    secrets = {c.channel_id: c.has_secret for c in stored.channels} if stored else {}
    out["channels"] = [
        {**msgspec.to_builtins(c), "hasSecret": secrets.get(c.id or "", False)} for c in rule.channels
    ]
    return out


# The seed's rules ("Alert System", "Alert Thresholds"), shipped disabled until the user turns them on.
DEFAULT_RULES = (
    Rule(
        id="default-session-cost", name="High session cost (> $1)", measure="session_cost",
        threshold=1.0, window="24h", severity="warning", enabled=False,
    ),
    Rule(
        id="default-session-tokens", name="High token usage (> 100k tokens in a session)",
        measure="session_tokens", threshold=100_000, window="24h", severity="info", enabled=False,
    ),
    Rule(
        id="default-daily-cost", name="Daily cost over $10", measure="cost", threshold=10.0,
        window="day", severity="critical", enabled=False,
    ),
)  # fmt: skip

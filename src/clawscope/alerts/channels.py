"""Sending one alert to one channel: a signed generic webhook, Slack, Discord, Telegram, ntfy, email and
Prometheus Alertmanager, each to the base URL its rule configures (nothing is sent anywhere else).

Written with httpx (and smtplib for mail), not a notification library: the kept ones (apprise, for
one) hard-code the public hosts of Slack, Discord and Telegram, while every channel here must accept a
self-hosted server, a proxy or a test receiver as its base URL. Each payload is the documented shape
of its receiver:

* webhook: Standard Webhooks: `webhook-id` (the stable delivery id: a resend carries the same),
  `webhook-timestamp`, `webhook-signature` (`v1,` + base64 HMAC-SHA256 over "id.timestamp.body", made
  by `clawscope.webhooks`); body `{"type": "alert.firing", "timestamp", "data": {…}}`;
* slack: incoming webhook `{"text"}`; discord: webhook `{"content", "embeds"}`;
* telegram: `POST {base}/bot{token}/sendMessage` `{"chat_id", "text"}`;
* ntfy: `POST {topic URL}`, the message as body, `Title`/`Priority`/`Tags` headers, the secret (if
  any) as a bearer token;
* email: SMTP with STARTTLS (refused without it unless `options.starttls` is false), login when a
  user and the secret are given;
* alertmanager: `POST {base}/api/v2/alerts` `[{"labels", "annotations", "startsAt", "endsAt"}]`. Like
  Prometheus, clawscope re-sends a firing alert every `options.resend_s` (default 60 s; the evaluator's
  `refresh` notices) with `endsAt` four intervals ahead, so Alertmanager keeps it active while it fires
  and resolves it on its own if clawscope stops; the resolve notice ends it at once.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from clawscope import webhooks
from clawscope.store import AlertRecord, StoredChannel
from clawscope.timeutil import iso_ms

AM_RESEND_S = 60  # Prometheus's default resend delay
AM_HOLD = 4  # endsAt is this many resend intervals ahead (Prometheus: 4 × max(resend delay, eval interval))
_PRIORITY = {"info": "3", "warning": "4", "critical": "5"}
_COLOR = {"info": 0x3B82F6, "warning": 0xF59E0B, "critical": 0xDC2626}
USER_AGENT = "clawscope-alerts"


@dataclass(frozen=True)
class Sent:
    """What the receiver answered (`status` None for SMTP, which either accepts or raises)."""

    status: int | None
    response: httpx.Response | None = None


class ChannelError(Exception):
    """A delivery that failed for a reason retrying will not fix (bad configuration)."""


def title(a: AlertRecord) -> str:
    tag = {"resolved": "RESOLVED", "test": "TEST", "digest": "DIGEST"}.get(a.kind, a.severity.upper())
    return f"[{tag}] {a.rule_name}" + (f" ({a.scope})" if a.scope and a.kind != "test" else "")


def payload(a: AlertRecord) -> dict[str, Any]:
    return {
        "alertId": a.alert_id,
        "ruleId": a.rule_id,
        "rule": a.rule_name,
        "scope": a.scope,
        "kind": a.kind,
        "severity": a.severity,
        "value": a.value,
        "message": a.message,
        "detail": a.detail,
        "at": iso_ms(a.at_ms),
    }


def send(
    http: httpx.Client,
    ch: StoredChannel,
    secret: str | None,
    a: AlertRecord,
    delivery_id: str,
    now_s: float,
    timeout_s: float,
) -> Sent:
    """Deliver; an HTTP answer is returned whatever its status (the caller decides on retries)."""
    text = f"{title(a)}\n{a.message}"
    url = ch.url
    if ch.kind == "email":
        _email(ch, secret, a, delivery_id, timeout_s)
        return Sent(None)
    headers = {"user-agent": USER_AGENT, "idempotency-key": delivery_id}
    body: bytes
    if ch.kind == "webhook":
        body = orjson.dumps({"type": f"alert.{a.kind}", "timestamp": iso_ms(a.at_ms), "data": payload(a)})
        stamp = str(int(now_s))
        headers |= {
            "content-type": "application/json",
            webhooks.SW_ID_HEADER: delivery_id,
            webhooks.SW_TIMESTAMP_HEADER: stamp,
        }
        if secret:
            headers[webhooks.SW_SIGNATURE_HEADER] = webhooks.standard_signature(
                secret, delivery_id, stamp, body
            )
    elif ch.kind == "slack":
        body = orjson.dumps({"text": f"*{title(a)}*\n{a.message}"})
        headers["content-type"] = "application/json"
    elif ch.kind == "discord":
        embed = {"title": title(a)[:256], "description": a.message[:4000], "color": _COLOR.get(a.severity, 0)}
        body = orjson.dumps({"content": title(a)[:2000], "embeds": [embed]})
        headers["content-type"] = "application/json"
    elif ch.kind == "telegram":
        if not secret:
            raise ChannelError("telegram channel without its bot token")
        url = f"{ch.url.rstrip('/')}/bot{secret}/sendMessage"
        body = orjson.dumps({"chat_id": ch.options.get("chat_id"), "text": text[:4096]})
        headers["content-type"] = "application/json"
    elif ch.kind == "ntfy":
        body = a.message.encode()
        headers |= {
            "title": title(a),
            "priority": _PRIORITY.get(a.severity, "3"),
            "tags": f"clawscope,{a.kind}",
        }
        if secret:
            headers["authorization"] = f"Bearer {secret}"
    elif ch.kind == "alertmanager":
        url = f"{ch.url.rstrip('/')}/api/v2/alerts"
        body = orjson.dumps([_am_alert(a, resend_s(ch.options))])
        headers["content-type"] = "application/json"
    else:
        raise ChannelError(f"unknown channel kind {ch.kind!r}")
    response = http.post(url, content=body, headers=headers, timeout=timeout_s)
    return Sent(response.status_code, response)


def resend_s(options: dict[str, Any]) -> int:
    """How often a firing alert is re-sent to an Alertmanager channel (seconds)."""
    value = options.get("resend_s", AM_RESEND_S)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else AM_RESEND_S


def _am_alert(a: AlertRecord, resend: int = AM_RESEND_S) -> dict[str, Any]:
    labels = {
        "alertname": a.rule_name,
        "severity": a.severity,
        "rule_id": a.rule_id,
        "source": "clawscope",
    }
    if a.scope:
        labels["scope"] = a.scope
    out: dict[str, Any] = {
        "labels": labels,
        "annotations": {"summary": a.message.split("\n", 1)[0], "description": a.message},
        "startsAt": a.detail.get("firingSince") or iso_ms(a.at_ms),
    }
    # a firing alert holds for AM_HOLD resend intervals and is re-sent (`refresh`) before that runs out;
    # the resolve notice ends it now
    ends = {"resolved": 0, "test": 300_000}.get(a.kind, AM_HOLD * resend * 1000)
    out["endsAt"] = iso_ms(a.at_ms + ends)
    return out


def _email(ch: StoredChannel, secret: str | None, a: AlertRecord, delivery_id: str, timeout_s: float) -> None:
    parts = urlsplit(ch.url)
    host = parts.hostname or "127.0.0.1"
    msg = EmailMessage()
    msg["Subject"] = title(a)
    msg["From"] = str(ch.options.get("from") or "clawscope@localhost")
    msg["To"] = str(ch.options["to"])
    msg["Message-ID"] = f"<{delivery_id}@clawscope>"  # the stable id: a resend is recognisable
    msg.set_content(a.message)
    context = ssl.create_default_context(cafile=ch.options.get("ca_file"))
    if parts.scheme == "smtps":
        with smtplib.SMTP_SSL(host, parts.port or 465, timeout=timeout_s, context=context) as smtp:
            _login_send(smtp, ch, secret, msg)
        return
    with smtplib.SMTP(host, parts.port or 587, timeout=timeout_s) as smtp:
        smtp.ehlo()
        if ch.options.get("starttls", True):
            if not smtp.has_extn("starttls"):
                raise ChannelError(
                    f"{host} does not offer STARTTLS (set options.starttls=false to send in clear)"
                )
            smtp.starttls(context=context)
            smtp.ehlo()
        _login_send(smtp, ch, secret, msg)


def _login_send(smtp: smtplib.SMTP, ch: StoredChannel, secret: str | None, msg: EmailMessage) -> None:
    user = ch.options.get("user") or parts_user(ch.url)
    if user and secret:
        smtp.login(str(user), secret)
    smtp.send_message(msg)


def parts_user(url: str) -> str | None:
    return urlsplit(url).username

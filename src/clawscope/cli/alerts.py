"""`clawscope alerts list|add|load|rm|enable|disable|silence|test|check|history`: alert rules and alerts.

`check` evaluates every enabled rule once, sends what is due, and exits with 1 while something is
firing (cron-friendly; `--json` prints what it found).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from clawscope.cli.common import (
    Lazy,
    db_option,
    echo_json,
    example,
    handle_errors,
    json_option,
    open_store,
    settings_from,
)
from clawscope.errors import UsageError
from clawscope.timeutil import now_ms, parse_when

manage = Lazy("clawscope.alerts.manage")


@click.group(
    "alerts",
    epilog=example("clawscope alerts add --name 'daily spend' --measure cost --window day --threshold 10"),
)
def alerts() -> None:
    """Alert rules (thresholds, budgets, anomalies, findings), their channels, and the alerts they raised."""


def _scope(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key or not value:
            raise UsageError(f"--scope {v!r}: expected DIMENSION=VALUE (e.g. agent=main, model=*)")
        out[key] = value
    return out


def _channels(values: tuple[str, ...], secret: str | None, to: str | None) -> list[dict[str, Any]]:
    out = []
    for v in values:
        kind, sep, url = v.partition("=")
        if not sep:
            raise UsageError(f"--channel {v!r}: expected KIND=URL (e.g. webhook=https://example.org/hook)")
        ch: dict[str, Any] = {"kind": kind, "url": url}
        if secret:
            ch["secret"] = secret
        if to:
            ch["options"] = {"to": to} if kind == "email" else {"chat_id": to} if kind == "telegram" else {}
        out.append(ch)
    return out


@alerts.command(
    "add",
    epilog=example(
        "clawscope alerts add --name 'session over $1' --measure session_cost \\",
        "--threshold 1 --channel slack=https://hooks.slack.com/services/T/B/X",
    ),
)
@db_option
@click.option(
    "--rule",
    "rule_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The rule as JSON (a file, or - for stdin); the options below add to it.",
)
@click.option("--name", help="What the rule is called.")
@click.option(
    "--type",
    "rule_type",
    type=click.Choice(["threshold", "budget", "anomaly", "finding"]),
    help="Rule type (default threshold).",
)
@click.option(
    "--measure",
    help="session_cost, session_tokens, cost, tokens, calls, errors, error_rate, tool_error_rate, …",
)
@click.option("--op", type=click.Choice([">", ">=", "<", "<="]), help="Comparison (default >).")
@click.option("--threshold", type=float, help="Threshold of a threshold rule.")
@click.option("--window", help="15m, 1h, 24h, 7d, or day/week/month (since the start of the UTC period).")
@click.option("--amount", type=float, help="Budget in USD.")
@click.option("--period", type=click.Choice(["day", "week", "month"]), help="Budget period.")
@click.option(
    "--scope",
    multiple=True,
    metavar="DIM=VALUE",
    help="agent, kind, channel, instance, model, provider or trigger (repeatable; * for one per value).",
)
@click.option("--severity", type=click.Choice(["info", "warning", "critical"]))
@click.option(
    "--cooldown", type=click.IntRange(min=0), help="Seconds before the same rule and scope fires again."
)
@click.option("--digest", is_flag=True, default=None, help="Hold alerts for one daily message.")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    metavar="KIND=URL",
    help="webhook, slack, discord, telegram, ntfy, email (smtp://host:port) or alertmanager (repeatable).",
)
@click.option(
    "--secret", help="The channels' secret: signing secret, bot token or SMTP password (stored encrypted)."
)
@click.option("--to", help="Email recipient, or Telegram chat id.")
@click.option("--disabled", is_flag=True, help="Store the rule switched off.")
@json_option
@handle_errors
def add(
    db: str | None,
    rule_file: str | None,
    name: str | None,
    rule_type: str | None,
    measure: str | None,
    op: str | None,
    threshold: float | None,
    window: str | None,
    amount: float | None,
    period: str | None,
    scope: tuple[str, ...],
    severity: str | None,
    cooldown: int | None,
    digest: bool | None,
    channels: tuple[str, ...],
    secret: str | None,
    to: str | None,
    disabled: bool,
    as_json: bool,
) -> None:
    """Add a rule (checked first: a bad measure, threshold, window or channel URL is refused)."""
    import json

    raw: dict[str, Any] = {}
    if rule_file:
        text = sys.stdin.read() if rule_file == "-" else Path(rule_file).read_text()
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--rule: not JSON: {exc}") from None
        if not isinstance(raw, dict):
            raise UsageError("--rule: expected a JSON object")
    given = {
        "name": name, "type": rule_type, "measure": measure, "op": op, "threshold": threshold,
        "window": window, "amount": amount, "period": period, "severity": severity, "cooldown_s": cooldown,
        "digest": digest,
    }  # fmt: skip
    raw.update({k: v for k, v in given.items() if v is not None})
    if scope:
        raw["scope"] = _scope(scope)
    if channels:
        raw["channels"] = [*raw.get("channels", []), *_channels(channels, secret, to)]
    if disabled:
        raw["enabled"] = False
    if "name" not in raw:
        raise UsageError("a rule needs --name")
    with open_store(settings_from(db=db)) as store:
        rule = manage.add_rule(store, raw)
    if as_json:
        echo_json(rule)
    else:
        click.echo(
            f"rule {rule['id']} added: {rule['name']}" + ("" if rule.get("enabled", True) else " (disabled)")
        )


@alerts.command("load", epilog=example("clawscope alerts load ~/.clawscope/alerts.toml"))
@db_option
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@handle_errors
def load(db: str | None, path: Path) -> None:
    """Add or replace the rules of a TOML file ([[rule]] tables with ids; `serve` loads alerts.toml)."""
    from clawscope.alerts.config_file import load_rules

    with open_store(settings_from(db=db)) as store:
        ids = load_rules(store, path)
    click.echo(f"{len(ids)} rule(s) loaded: {', '.join(ids)}")


@alerts.command("list", epilog=example("clawscope alerts list --json"))
@db_option
@json_option
@handle_errors
def list_(db: str | None, as_json: bool) -> None:
    """The rules, whether each is on, and what fires now."""
    with open_store(settings_from(db=db)) as store:
        rules = manage.list_rules(store)
    if as_json:
        echo_json(rules)
        return
    if not rules:
        click.echo("no alert rules (add one with `clawscope alerts add`)")
    for r in rules:
        state = "on " if r.get("enabled", True) else "off"
        what = r.get("measure") or r.get("type")
        fire = f"  FIRING: {', '.join(s or '(all)' for s in r['firing'])}" if r["firing"] else ""
        click.echo(f"{r['id']:<24} {state} {r.get('type', 'threshold'):<9} {what!s:<15} {r['name']}{fire}")


@alerts.command("rm", epilog=example("clawscope alerts rm 3f2a9c1b7e4d"))
@db_option
@click.argument("rule_id")
@handle_errors
def rm(db: str | None, rule_id: str) -> None:
    """Remove a rule (its history stays)."""
    with open_store(settings_from(db=db)) as store:
        manage.remove_rule(store, rule_id)
    click.echo(f"rule {rule_id} removed")


@alerts.command("enable", epilog=example("clawscope alerts enable default-session-cost"))
@db_option
@click.argument("rule_id")
@handle_errors
def enable(db: str | None, rule_id: str) -> None:
    """Switch a rule on (the shipped defaults start off)."""
    with open_store(settings_from(db=db)) as store:
        manage.set_enabled(store, rule_id, True)
    click.echo(f"rule {rule_id} on")


@alerts.command("disable", epilog=example("clawscope alerts disable default-session-cost"))
@db_option
@click.argument("rule_id")
@handle_errors
def disable(db: str | None, rule_id: str) -> None:
    """Switch a rule off."""
    with open_store(settings_from(db=db)) as store:
        manage.set_enabled(store, rule_id, False)
    click.echo(f"rule {rule_id} off")


@alerts.command("silence", epilog=example("clawscope alerts silence default-daily-cost --until 2h"))
@db_option
@click.argument("rule_id", required=False)
@click.option("--scope", help="Only this scope of the rule (as listed, e.g. session=abc or agent=main).")
@click.option(
    "--until",
    "until",
    required=True,
    help="When the silence ends: a time or a duration back from now negated (e.g. 2h).",
)
@click.option("--reason", help="Why (shown in listings).")
@handle_errors
def silence(db: str | None, rule_id: str | None, scope: str | None, until: str, reason: str | None) -> None:
    """Mute a rule (or every rule) or one scope of it until a time."""
    now = now_ms()
    end = _until(until, now)
    with open_store(settings_from(db=db)) as store:
        sid = manage.silence(store, rule_id, scope, end, reason)
    click.echo(f"silence {sid} until {end}")


def _until(value: str, now: int) -> int:
    from clawscope.alerts.rules import window_ms

    try:
        span = window_ms(value)
    except UsageError:
        span = None
    if span is not None:
        return now + span
    end = parse_when(value, now, "--until")
    if end <= now:
        raise UsageError("--until must be in the future (a time, or a duration such as 30m, 2h, 1d)")
    return end


@alerts.command("test", epilog=example("clawscope alerts test default-session-cost"))
@db_option
@click.argument("rule_id")
@json_option
@handle_errors
def test(db: str | None, rule_id: str, as_json: bool) -> None:
    """Send a test notice to the rule's channels now, and show how each delivery went."""
    from clawscope.alerts.deliver import Deliverer

    with open_store(settings_from(db=db)) as store:
        deliverer = Deliverer(store)
        try:
            found = manage.send_test_notice(store, rule_id, deliverer)
        finally:
            deliverer.close()
    if as_json:
        echo_json(found)
        return
    if not found["deliveries"]:
        click.echo(f"rule {rule_id} has no channels: nothing to send")
    for d in found["deliveries"]:
        last = d["attempts"][-1] if d["attempts"] else {}
        click.echo(
            f"{d['channelId']}: {d['status']}" + (f" ({last.get('error')})" if last.get("error") else "")
        )


@alerts.command("check", epilog=example("clawscope alerts check --json || echo 'something fires'"))
@db_option
@click.option("--no-send", is_flag=True, help="Evaluate only; leave what is due in the outbox.")
@json_option
@handle_errors
def check(db: str | None, no_send: bool, as_json: bool) -> None:
    """Evaluate every enabled rule once and send what is due; exit code 1 while something fires."""
    from clawscope.alerts.deliver import Deliverer
    from clawscope.alerts.evaluate import Evaluator

    with open_store(settings_from(db=db)) as store:
        out = Evaluator(store).run()
        if not no_send:
            deliverer = Deliverer(store)
            try:
                deliverer.drain()
            finally:
                deliverer.close()
    if as_json:
        echo_json(out.to_json())
    else:
        for a in out.fired:
            click.echo(f"FIRING  {a.severity:<8} {a.message}")
        for a in out.resolved:
            click.echo(f"resolved {a.message}")
        for e in out.errors:
            click.echo(f"error: rule {e}", err=True)
        if not out.firing:
            click.echo("nothing fires")
    if out.firing:
        sys.exit(1)


@alerts.command("history", epilog=example("clawscope alerts history --limit 20"))
@db_option
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--rule", "rule_id", help="Only this rule's alerts.")
@json_option
@handle_errors
def history(db: str | None, limit: int, rule_id: str | None, as_json: bool) -> None:
    """Alerts and notices, newest first, with how their delivery went."""
    with open_store(settings_from(db=db)) as store:
        found = manage.history(store, limit, rule_id)
    if as_json:
        echo_json(found)
        return
    for h in found:
        sent = ", ".join(f"{d['channelId']}:{d['status']}" for d in h["deliveries"]) or "-"
        click.echo(f"{h['at']}  {h['kind']:<8} {h['severity']:<8} {h['message'].splitlines()[0]}  [{sent}]")


COMMANDS = (alerts,)

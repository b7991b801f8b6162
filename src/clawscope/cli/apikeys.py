"""`clawscope api-key create|list|revoke|rotate`: the keys the REST API accepts (stored hashed)."""

from __future__ import annotations

import click

from clawscope.cli.common import (
    db_option,
    echo_json,
    handle_errors,
    json_option,
    open_store,
    settings_from,
)
from clawscope.store import DEFAULT_RATE_LIMIT, SCOPES, ApiKey, parse_scopes
from clawscope.timeutil import iso_ms


def _record(key: ApiKey) -> dict[str, object]:
    return {
        "keyId": key.key_id,
        "key": key.masked,
        "label": key.label,
        "scopes": list(key.scopes),
        "rateLimit": key.rate_limit,
        "createdAt": iso_ms(key.created_ms),
        "revokedAt": iso_ms(key.revoked_ms),
        "lastUsedAt": iso_ms(key.last_used_ms),
    }


@click.group("api-key")
def api_key() -> None:
    """Create, list, revoke and rotate REST API keys.

    \b
    Example:
      clawscope api-key create --label grafana --scopes stats:read,sessions:read
    """


@api_key.command("create")
@db_option
@click.option("--label", required=True, help="What the key is for (shown in listings).")
@click.option(
    "--scopes",
    required=True,
    metavar="S1,S2",
    help=f"Comma-separated scopes: {', '.join(SCOPES)}.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=DEFAULT_RATE_LIMIT,
    show_default=True,
    help="Requests per minute.",
)
@json_option
@handle_errors
def create(db: str | None, label: str, scopes: str, rate_limit: int, as_json: bool) -> None:
    """Create a key and print it once (only its hash is stored).

    \b
    Example:
      clawscope api-key create --label ci --scopes stats:read --rate-limit 60
    """
    parsed = parse_scopes(scopes)
    with open_store(settings_from(db=db)) as store:
        plain, key = store.keys.create(label, parsed, rate_limit)
    if as_json:
        echo_json({**_record(key), "key": plain})
        return
    click.echo(plain)
    click.echo(
        f"key {key.key_id} ({label}; {','.join(parsed)}; {rate_limit}/min). "
        "Store it now: it is not shown again.",
        err=True,
    )


@api_key.command("list")
@db_option
@json_option
@handle_errors
def list_(db: str | None, as_json: bool) -> None:
    """List keys, masked.

    \b
    Example:
      clawscope api-key list --json
    """
    with open_store(settings_from(db=db)) as store:
        keys = store.keys.all()
    if as_json:
        echo_json([_record(k) for k in keys])
        return
    for k in keys:
        status = "revoked" if k.revoked_ms else "active"
        click.echo(f"{k.masked}  {status:7}  {k.rate_limit:>5}/min  {','.join(k.scopes)}  {k.label}")


@api_key.command("revoke")
@click.argument("key_id")
@db_option
@handle_errors
def revoke(key_id: str, db: str | None) -> None:
    """Revoke a key (by key id, masked key or the key itself); its tokens stop working too.

    \b
    Example:
      clawscope api-key revoke 3f9a0c12d4e5
    """
    with open_store(settings_from(db=db)) as store:
        key = store.keys.revoke(key_id)
    click.echo(f"revoked {key.masked}")


@api_key.command("rotate")
@click.argument("key_id")
@db_option
@handle_errors
def rotate(key_id: str, db: str | None) -> None:
    """Replace a key by a new one with the same label, scopes and limit; print the new key once.

    \b
    Example:
      clawscope api-key rotate 3f9a0c12d4e5
    """
    with open_store(settings_from(db=db)) as store:
        old = store.keys.get(key_id)  # named by its masked form below: KEY_ID may be the secret
        plain, key = store.keys.rotate(key_id)
    click.echo(plain)
    click.echo(
        f"key {old.masked} revoked; new key {key.key_id}. Store it now: it is not shown again.", err=True
    )


COMMANDS = (api_key,)

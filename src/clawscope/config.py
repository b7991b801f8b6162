"""The one `Settings` object, loaded at the edge (CLI, app factory) and passed down.

Precedence: command-line flag > `CLAWSCOPE_*` environment variable > config file
(`~/.clawscope/config.toml`, or `CLAWSCOPE_CONFIG`) > default. Library code never reads the
environment itself; it receives a `Settings`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from clawscope.dburl import sqlite_file, sqlite_url
from clawscope.errors import ConfigError


def default_home() -> Path:
    return Path.home() / ".clawscope"


@dataclass(frozen=True)
class Settings:
    """Every setting clawscope has. Documented in the README's settings table (a docs test checks)."""

    db: str = ""  # database URL; "" = sqlite at <home>/clawscope.db
    home: Path = field(default_factory=default_home)
    state_dirs: tuple[Path, ...] = ()  # OpenClaw state dirs; () = discover
    instance: str = field(default_factory=socket.gethostname)  # name of this machine's data
    host: str = "127.0.0.1"
    port: int = 8765
    no_auth: bool = False
    cors_origins: tuple[str, ...] = ()
    webhook_window_s: int = 10
    webhook_max_bytes: int = 8 * 1024 * 1024
    price_estimates: bool = True  # estimate cost of unpriced calls (reported apart)
    # events (issue 6): the SSE stream, OpenClaw event webhooks, OTLP
    events_secret: str = ""  # events naming no registered agent: their HMAC secret; "" = refused
    events_retention_days: int = 7  # events stored longer ago than this are pruned from the event log
    # retention (issue 17): raw transcript text of sessions idle longer than this is pruned; 0 = kept forever
    transcript_retention_days: int = 0
    stream_heartbeat_s: float = 15.0  # SSE heartbeat comment interval
    stream_poll_ms: int = 100  # how often the event bus checks the event log for other processes' events
    audit_dir: str = ""  # receipts audit directory served by the API; "" = <home>/audit
    receipt_key: str = ""  # public JWK/JWKS that verifies it; "" = <home>/receipts.public.jwk
    # exports (issue 16)
    metrics_allow: tuple[str, ...] = ()  # addresses/networks that may scrape /metrics without a key
    metrics_max_values: int = 50  # named values per free-text metric label; the rest are `other`
    otlp_endpoint: str = ""  # OTLP/HTTP base URL to export traces and metrics to; "" = no export
    otlp_headers: str = ""  # `name=value,…` sent with every export request (e.g. an API key)
    otlp_interval_s: float = 60.0  # how often `serve` exports what is new
    otlp_batch_turns: int = 100  # turns (traces) per export request
    otlp_settle_s: float = 300.0  # a session's last turn is sent once it had no new entry for this long
    # detection (issue 14): per detector id or family {enabled, severity, <param>: value} (detect/settings.py)
    detectors: Mapping[str, Any] = field(default_factory=dict)
    detect_live: bool = True  # `ingest` and `serve` detect on the sessions each pass touched
    # semantic judge (issue 19): {base_url, model, api_key_env, daily_cap_usd, …} (detect/judge/config.py)
    judge: Mapping[str, Any] = field(default_factory=dict)  # empty = no judge: nothing leaves the machine
    # access (issue 13): the key of stored secrets, kept outside the database
    secrets_key: str = ""  # "" = the key file below
    secrets_key_file: str = ""  # "" = <database>.key beside a SQLite file, else <home>/secrets.key

    @property
    def audit_root(self) -> Path:
        return Path(self.audit_dir).expanduser() if self.audit_dir else self.home / "audit"

    @property
    def receipt_key_path(self) -> Path:
        return Path(self.receipt_key).expanduser() if self.receipt_key else self.home / "receipts.public.jwk"

    @property
    def secrets_key_path(self) -> str:
        """The key file of stored secrets (`secrets_key_file`, or beside a SQLite database, or in home)."""
        if self.secrets_key_file:
            return self.secrets_key_file
        path = sqlite_file(self.db_url)
        if path is not None:
            return path + ".key"
        return "" if self.db_url.startswith("sqlite") else str(self.home / "secrets.key")

    @property
    def db_url(self) -> str:
        return self.db or sqlite_url(self.home / "clawscope.db")


_ENV_PREFIX = "CLAWSCOPE_"


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings from defaults, the config file, the environment and explicit overrides.

    `overrides` holds flag values; `None` values mean "flag not given" and are ignored.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    path = config_file or Path(env.get("CLAWSCOPE_CONFIG", "") or (default_home() / "config.toml"))
    try:
        exists = path.is_file()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if exists:
        values.update(_read_file(path))
    known = {f.name for f in fields(Settings)}
    for name in known:
        raw = env.get(_ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = raw
    for name, value in (overrides or {}).items():
        if value is not None and value != ():
            values[name] = value
    return _coerce(replace(Settings(), **{k: v for k, v in values.items() if k in known}))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    section = data.get("clawscope", data)
    return dict(section) if isinstance(section, dict) else {}


def _coerce(s: Settings) -> Settings:
    """Turn environment/file strings into the declared types; reject what does not fit."""
    try:
        return replace(
            s,
            home=Path(s.home).expanduser(),
            state_dirs=tuple(Path(p).expanduser() for p in _seq(s.state_dirs, os.pathsep)),
            port=_port(s.port),
            no_auth=_bool(s.no_auth),
            cors_origins=tuple(_seq(s.cors_origins, ",")),
            webhook_window_s=int(s.webhook_window_s),
            webhook_max_bytes=int(s.webhook_max_bytes),
            price_estimates=_bool(s.price_estimates),
            events_retention_days=int(s.events_retention_days),
            transcript_retention_days=parse_days(s.transcript_retention_days, "transcript_retention_days"),
            stream_heartbeat_s=float(s.stream_heartbeat_s),
            stream_poll_ms=int(s.stream_poll_ms),
            metrics_allow=tuple(_networks(_seq(s.metrics_allow, ","))),
            metrics_max_values=_positive(s.metrics_max_values, "metrics_max_values"),
            otlp_interval_s=float(s.otlp_interval_s),
            otlp_batch_turns=_positive(s.otlp_batch_turns, "otlp_batch_turns"),
            otlp_settle_s=float(s.otlp_settle_s),
            detectors=_table(s.detectors, "detectors"),
            detect_live=_bool(s.detect_live),
            judge=_table(s.judge, "judge"),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid setting: {exc}") from None


def _table(value: Any, name: str) -> dict[str, Any]:
    """A TOML table, or (from the environment) the same as a JSON object."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be a table (a JSON object in the environment)")
    return dict(value)


def _port(value: Any) -> int:
    """A TCP port one can listen on (0 lets the system choose one)."""
    port = int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} is out of range (0-65535)")
    return port


def _networks(values: list[str]) -> list[str]:
    """Addresses or CIDR networks, checked (an address is its own /32 or /128)."""
    for v in values:
        ipaddress.ip_network(v.strip(), strict=False)
    return [v.strip() for v in values]


def _positive(value: Any, name: str) -> int:
    n = int(value)
    if n < 1:
        raise ValueError(f"{name} must be at least 1")
    return n


def parse_days(value: Any, name: str) -> int:
    """A whole number of days, 0 or more (0: keep forever); anything else says what is wrong."""
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or text.isdigit()):
        if text.lstrip("-").isdigit():
            raise ValueError(f"{name} must be 0 (keep forever) or a positive number of days, not {text}")
        raise ValueError(f"{name} must be a whole number of days (0 = keep forever), not {value!r}")
    if int(value) < 0:
        raise ValueError(f"{name} must be 0 (keep forever) or a positive number of days, not {value}")
    return int(value)


def _seq(value: Any, sep: str) -> list[str]:
    if isinstance(value, str):
        return [p for p in value.split(sep) if p]
    return [str(v) for v in value]


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")

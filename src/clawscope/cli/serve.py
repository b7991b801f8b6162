"""`clawscope serve`: the dashboard, the REST API and live ingest of this machine's OpenClaw state in
one process (or a generated demo state, said so on every page, when none is found or `--demo`)."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import replace
from typing import Any

import click

from clawscope.cli.common import db_option, demo_state, handle_errors, settings_from, state_dirs
from clawscope.config import Settings
from clawscope.dburl import sqlite_url
from clawscope.errors import UsageError

# Open SSE streams never finish by themselves: without a limit, a graceful shutdown would wait for them
# forever. They are cut after this many seconds (EventSource clients resume with Last-Event-ID).
SHUTDOWN_TIMEOUT_S = 3


@click.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1; env CLAWSCOPE_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8765; env CLAWSCOPE_PORT).")
@db_option
@click.option(
    "--no-auth",
    "no_auth",
    is_flag=True,
    default=None,
    help="Serve without authentication (refused unless bound to a loopback address).",
)
@click.option(
    "--state",
    "state",
    multiple=True,
    type=click.Path(file_okay=False),
    help="OpenClaw state dir to ingest and follow (repeatable; default: discovered).",
)
@click.option(
    "--demo", "force_demo", is_flag=True, help="Serve a generated demo state even if OpenClaw is found."
)
@click.option(
    "--no-live", "no_live", is_flag=True, help="Do not ingest the state dirs (serve the database as is)."
)
@click.option("--cors-origin", "cors", multiple=True, help="Allowed CORS origin (repeatable).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes sharing the port (settings pass to them through CLAWSCOPE_* variables).",
)
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
@click.option(
    "--alerts-interval",
    "alerts_interval",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds between evaluations of the alert rules (also run after every ingest pass).",
)
@handle_errors
def serve(
    host: str | None,
    port: int | None,
    db: str | None,
    no_auth: bool | None,
    state: tuple[str, ...],
    force_demo: bool,
    no_live: bool,
    cors: tuple[str, ...],
    workers: int,
    log_level: str,
    alerts_interval: float,
) -> None:
    """Serve the dashboard at / and the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json), and
    keep ingesting the OpenClaw state dirs live.

    With auth on, a one-time login URL is printed (it sets the session cookie); `--no-auth` skips
    sign-in (loopback only). Without any OpenClaw state and without a chosen database (or with --demo)
    a demo state is generated and served from its own database, and every page says so; a database
    chosen by --db, CLAWSCOPE_DB or the config file never receives demo data.

    \b
    Example:
      clawscope serve --state ~/.openclaw --port 8765
    """
    import uvicorn

    from clawscope.alerts.service import AlertService
    from clawscope.web.app import check_bind, create_app
    from clawscope.web.dashboard.login import one_time_token
    from clawscope.web.live_ingest import LiveIngest
    from clawscope.web.state import AppState, Serving

    settings = settings_from(db=db, host=host, port=port, no_auth=no_auth, cors_origins=cors or None)
    check_bind(settings)
    check_port_free(settings.host, settings.port)  # before a demo, a database or a login link is made
    dirs = [] if force_demo or no_live else state_dirs(state, settings)
    # A database the user chose (flag, environment or config file) never receives demo data: it is
    # served as it is. The demo has a database of its own, used when none was chosen or with --demo.
    chosen_db = bool(settings.db)
    demo = force_demo or (not dirs and not no_live and not chosen_db)
    no_state = not dirs and not no_live and not demo
    if demo:
        dirs = [demo_state(settings)]
        if chosen_db:
            click.echo(f"--demo: the demo has its own database; {settings.db} is not used", err=True)
        settings = replace(settings, db=sqlite_url(settings.home / "demo.db"))
    base = f"http://{settings.host}:{settings.port}"
    if demo:
        click.echo("serving a generated DEMO state (no OpenClaw state found, or --demo)", err=True)
    elif no_state:
        click.echo(f"no OpenClaw state found: serving {settings.db} as it is", err=True)
    elif dirs:
        click.echo(f"ingesting and following: {', '.join(str(d) for d in dirs)}", err=True)
    if workers == 1:
        app = create_app(settings)
        app_state: AppState = app.state.clawscope
        app_state.serving = Serving(demo=demo, no_state=no_state, state_dirs=[str(d) for d in dirs])
        if dirs:
            LiveIngest(app_state, dirs)  # started by the app's lifespan
        app_state.otlp = _otlp_background(app_state.store, settings)  # started by the lifespan
        _load_alert_rules(app_state.store, settings)  # alerts.toml, as with --workers
        app_state.alerts = AlertService(app_state.store, interval_s=alerts_interval)  # lifespan starts it
        if settings.no_auth:
            click.echo(f"clawscope dashboard: {base}/   (API: {base}/api/v1)", err=True)
        else:
            click.echo(
                f"clawscope dashboard (one-time login link): {base}/login?token={one_time_token(app_state)}",
                err=True,
            )
            click.echo(f"  or sign in with an API key at {base}/login   (API: {base}/api/v1)", err=True)
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=log_level,
            timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
        )
        return
    _supervisor_background(settings, dirs, alerts_interval)  # one follower, exporter and alerter
    click.echo(f"clawscope dashboard: {base}/login (sign in with an API key)   API: {base}/api/v1", err=True)
    os.environ.update(
        {
            "CLAWSCOPE_DB": settings.db_url,
            "CLAWSCOPE_HOST": settings.host,
            "CLAWSCOPE_NO_AUTH": "1" if settings.no_auth else "0",
            "CLAWSCOPE_CORS_ORIGINS": ",".join(settings.cors_origins),
            "CLAWSCOPE_SECRETS_KEY_FILE": settings.secrets_key_path,  # every worker: one key
        }
    )
    uvicorn.run(
        "clawscope.web.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
    )


def check_port_free(host: str, port: int) -> None:
    """A port another process listens on is a one-line error now, not a login link that cannot work
    and a traceback from the server later. (SO_REUSEADDR as uvicorn binds: a port left in TIME_WAIT
    by a previous run is free.)"""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"cannot bind to {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is in use: choose another --port") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _supervisor_background(settings: Settings, dirs: list[Any], alerts_interval: float) -> None:
    from clawscope.alerts.service import AlertService
    from clawscope.store import Store
    from clawscope.web.live_ingest import LiveIngest
    from clawscope.web.state import AppState

    store = Store(
        settings.db_url, secrets_key=settings.secrets_key, secrets_key_file=settings.secrets_key_path
    )
    _load_alert_rules(store, settings)
    alerts = AlertService(store, interval_s=alerts_interval).start()  # whatever feeds the database
    if dirs:
        live = LiveIngest(AppState.build(settings, store), dirs)
        live.state.ingest.after.append(alerts.notify)
        live.start()
    exporter = _otlp_background(store, settings)
    if exporter is not None:
        exporter.start()


def _load_alert_rules(store: Any, settings: Settings) -> None:
    """`alerts.toml` in clawscope's home, when there is one (a mistake stops the start, naming it)."""
    from clawscope.alerts.config_file import FILE_NAME, load_rules

    path = settings.home / FILE_NAME
    if path.is_file():
        ids = load_rules(store, path)
        click.echo(f"alert rules loaded from {path}: {', '.join(ids) or 'none'}", err=True)


def _otlp_background(store: Any, settings: Settings) -> Any:
    """The OTLP export of new data, when an endpoint is configured (run by one process only)."""
    if not settings.otlp_endpoint:
        return None
    from clawscope.exports import otlp

    to = otlp.target(settings.otlp_endpoint, settings.otlp_headers)
    click.echo(
        f"exporting new turns and the metrics to {to.endpoint} every {settings.otlp_interval_s:g} s", err=True
    )
    return otlp.Background(
        store,
        to,
        settings.otlp_interval_s,
        settings.otlp_batch_turns,
        settings.otlp_settle_s,
        settings.metrics_max_values,
    )


COMMANDS = (serve,)

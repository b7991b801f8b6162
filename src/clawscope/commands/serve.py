"""`clawscope serve`: the server (REST API; live ingest and dashboard as they land) in one process."""

from __future__ import annotations

import os

import click

from clawscope.commands.common import db_option, handle_errors, settings_from


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
@click.option("--cors-origin", "cors", multiple=True, help="Allowed CORS origin (repeatable).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes sharing the port (settings pass to them through CLAWSCOPE_* variables).",
)
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
@handle_errors
def serve(
    host: str | None,
    port: int | None,
    db: str | None,
    no_auth: bool | None,
    cors: tuple[str, ...],
    workers: int,
    log_level: str,
) -> None:
    """Serve the REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

    \b
    Example:
      clawscope serve --port 8765
    """
    import uvicorn

    from clawscope.web.app import check_bind, create_app

    settings = settings_from(db=db, host=host, port=port, no_auth=no_auth, cors_origins=cors or None)
    check_bind(settings)
    click.echo(f"clawscope serving on http://{settings.host}:{settings.port}/api/v1", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=log_level)
        return
    os.environ.update(
        {
            "CLAWSCOPE_DB": settings.db_url,
            "CLAWSCOPE_HOST": settings.host,
            "CLAWSCOPE_NO_AUTH": "1" if settings.no_auth else "0",
            "CLAWSCOPE_CORS_ORIGINS": ",".join(settings.cors_origins),
        }
    )
    uvicorn.run(
        "clawscope.web.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level=log_level,
    )

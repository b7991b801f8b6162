"""`clawscope mcp`: the MCP server of read-only tools (stats, sessions, receipt verification) over stdio
(for an MCP host that starts it) or streamable HTTP (API keys and scopes as the REST API)."""

from __future__ import annotations

import click

from clawscope.cli.common import Lazy, db_option, handle_errors, open_store, settings_from
from clawscope.errors import UsageError

mcp_server = Lazy("clawscope.exports.mcp")
DEFAULT_PORT = 8766


@click.command("mcp")
@db_option
@click.option("--http", "http", is_flag=True, help="Serve streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default=None, help="Address to bind with --http (default 127.0.0.1).")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port with --http.")
@click.option(
    "--no-auth", "no_auth", is_flag=True, default=None, help="With --http: no API key (loopback only)."
)
@handle_errors
def mcp(db: str | None, http: bool, host: str | None, port: int, no_auth: bool | None) -> None:
    """Serve clawscope's MCP tools (read-only) to an MCP client.

    Over stdio (the default) the client starts this command; over --http it connects to
    http://HOST:PORT/mcp with `Authorization: Bearer <API key>` (scopes as the REST API).

    \b
    Example:
      clawscope mcp --http --port 8766
    """
    settings = settings_from(db=db, host=host, no_auth=no_auth)
    store = open_store(settings, read_only=True)
    try:
        if not http:
            mcp_server.build(store, receipt_key=settings.receipt_key_path).run("stdio")
            return
        import uvicorn

        from clawscope.web.app import check_bind

        check_bind(settings)
        base = None if settings.no_auth else f"http://{settings.host}:{port}"
        server = mcp_server.build(store, receipt_key=settings.receipt_key_path, auth_url=base)
        app = server.streamable_http_app(host=settings.host)
        click.echo(f"clawscope MCP server: http://{settings.host}:{port}/mcp", err=True)
        uvicorn.run(app, host=settings.host, port=port, log_level="warning")
    except OSError as exc:
        raise UsageError(f"cannot serve MCP: {exc.strerror}") from None
    finally:
        store.close()


COMMANDS = (mcp,)

"""`clawscope otlp export`: send ingested turns as OTLP traces (and the metrics) to an OTLP/HTTP endpoint,
resuming where the last run stopped; `--since` back-fills history."""

from __future__ import annotations

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

otlp_export = Lazy("clawscope.exports.otlp")


@click.group("otlp")
def otlp() -> None:
    """Export to an OpenTelemetry backend over OTLP/HTTP.

    \b
    Example:
      clawscope otlp export --endpoint http://127.0.0.1:4318 --since 30d
    """


@otlp.command(
    "export",
    epilog=example("clawscope otlp export --endpoint http://collector:4318 --header x-api-key=K --since 7d"),
)
@db_option
@json_option
@click.option("--endpoint", metavar="URL", help="OTLP/HTTP base URL (default: the otlp_endpoint setting).")
@click.option("--header", "headers", multiple=True, metavar="NAME=VALUE", help="Request header (repeatable).")
@click.option("--since", metavar="ISO|7d", help="Only turns that started then or later (default: all).")
@click.option("--batch-turns", type=click.IntRange(min=1), help="Turns per request (default 100).")
@click.option(
    "--settle", "settle_s", type=click.FloatRange(min=0), help="Seconds a session's last turn waits."
)
@click.option("--metrics/--no-metrics", default=True, show_default=True, help="Also send the metrics once.")
@handle_errors
def export(
    db: str | None,
    as_json: bool,
    endpoint: str | None,
    headers: tuple[str, ...],
    since: str | None,
    batch_turns: int | None,
    settle_s: float | None,
    metrics: bool,
) -> None:
    """Send every turn not sent yet to this endpoint as a trace (spans for its model and tool calls).

    Resumable: a turn is recorded as sent only once the endpoint acknowledged its batch, so an
    interrupted run resends at most one batch (with the same trace and span ids) and loses nothing.
    """
    settings = settings_from(db=db)
    url = endpoint or settings.otlp_endpoint
    if not url:
        raise UsageError(
            "no OTLP endpoint: pass --endpoint URL or set otlp_endpoint (export is off otherwise)"
        )
    extra = otlp_export.parse_headers(",".join(headers)) if headers else {}
    to = otlp_export.target(url, {**otlp_export.parse_headers(settings.otlp_headers), **extra})
    since_ms = parse_when(since, now_ms(), "--since") if since else None
    with open_store(settings) as store:
        run = otlp_export.TraceExport(
            store,
            to,
            batch_turns=batch_turns or settings.otlp_batch_turns,
            settle_s=settings.otlp_settle_s if settle_s is None else settle_s,
        )
        try:
            report = run.run(since_ms)
        finally:
            done = run.report
            click.echo(f"{done.turns} turns ({done.spans} spans) sent in {done.batches} batches", err=True)
        sent_metrics = otlp_export.export_metrics(store, to, settings.metrics_max_values) if metrics else 0
    if as_json:
        echo_json(
            {"turns": report.turns, "spans": report.spans, "batches": report.batches, "metrics": sent_metrics}
        )


COMMANDS = (otlp,)

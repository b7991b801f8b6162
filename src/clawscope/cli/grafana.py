"""`clawscope grafana export DIR` and `clawscope grafana rules`: Grafana provisioning (a Prometheus
datasource and the dashboards, built in code) and Prometheus recording and alerting rules for the
metrics `serve` exposes at `/metrics`."""

from __future__ import annotations

from pathlib import Path

import click

from clawscope.cli.common import Lazy, example, handle_errors
from clawscope.errors import UsageError

grafana_files = Lazy("clawscope.exports.grafana")
rules = Lazy("clawscope.exports.rules")


@click.group("grafana")
def grafana() -> None:
    """Grafana dashboards and Prometheus rules for clawscope's /metrics.

    \b
    Example:
      clawscope grafana export ./grafana --prometheus-url http://127.0.0.1:9090
    """


@grafana.command("export", epilog=example("clawscope grafana export ./grafana --target 127.0.0.1:8765"))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--prometheus-url",
    default="http://127.0.0.1:9090",
    show_default=True,
    help="URL Grafana reaches Prometheus at (the provisioned datasource).",
)
@click.option(
    "--target",
    default="127.0.0.1:8765",
    show_default=True,
    help="host:port Prometheus scrapes clawscope at (prometheus/scrape.yaml).",
)
@click.option(
    "--dashboards-path",
    type=click.Path(path_type=Path),
    help="Where Grafana will read the dashboard files (default: OUT/dashboards as written).",
)
@handle_errors
def export(out: Path, prometheus_url: str, target: str, dashboards_path: Path | None) -> None:
    """Write Grafana provisioning files (datasource, dashboards) and Prometheus rules into OUT."""
    try:
        written = grafana_files.export(out, prometheus_url, target, dashboards_path)
    except OSError as exc:
        raise UsageError(f"cannot write into {out}: {exc.strerror}") from None
    for path in written:
        click.echo(str(path))


@grafana.command(
    "rules", epilog=example("clawscope grafana rules --out /etc/prometheus/rules/clawscope.yaml")
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (default: stdout)."
)
@handle_errors
def rules_command(out: Path | None) -> None:
    """Print (or write) the Prometheus recording and alerting rules for clawscope's metrics."""
    text = grafana_files.to_yaml(rules.rules_file())
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(str(out))


COMMANDS = (grafana,)

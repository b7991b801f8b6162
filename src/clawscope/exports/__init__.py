"""Exports: clawscope's data in the tools teams already run.

`metrics` (the metric families, from the store; `prometheus` renders them as Prometheus text or
OpenMetrics for `GET /metrics`), `grafana` (provisioning: datasource and dashboards built in code with
grafana-foundation-sdk; Prometheus recording and alerting rules), `otlp` (traces per turn and the
metrics, to an OTLP/HTTP endpoint, resumable from a cursor), `mcp` (an MCP server of read-only tools)
and `files` (sessions, calls, tools and findings as CSV or JSON Lines, streamed; `csvout` is the one CSV
writer). Everything reads the store through its public API. `findings` adds the detectors' findings to
the metrics and dashboards, `alerts` the alert rules' (imported here, so they are there whenever an
export runs).
"""

from clawscope.exports import alerts as alerts  # registers the alert metrics and dashboard
from clawscope.exports import findings as findings  # registers the findings metrics and dashboard

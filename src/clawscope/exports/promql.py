"""The PromQL every provisioned dashboard and rule is written with, in one place.

Each clawscope server process exposes the same store-read totals, so with several replicas scraped a
plain `sum` would count them once per replica: every expression first takes `max without (instance,
pod)` over the scrape targets (`one(...)`), then aggregates by the labels it shows. Dashboard filters
are the variables `$openclaw_instance` and `$agent` (regexes, `.*` for all).
"""

from __future__ import annotations

FILTER = 'openclaw_instance=~"$openclaw_instance", agent=~"$agent"'
INSTANCE_FILTER = 'openclaw_instance=~"$openclaw_instance"'  # families without an agent label
TARGET_LABELS = "instance, pod"


def sel(metric: str, *matchers: str, filtered: bool = True) -> str:
    """A series selector: the dashboard filter (when the family has those labels) and `matchers`."""
    parts = ([FILTER] if filtered else []) + list(matchers)
    return f"{metric}{{{', '.join(parts)}}}" if parts else metric


def one(expr: str) -> str:
    """The value of one replica (they all read the same store)."""
    return f"max without ({TARGET_LABELS}) ({expr})"


def total(metric: str, by: str = "", *matchers: str, filtered: bool = True) -> str:
    """All-time total of a counter, summed by `by` (comma-separated labels; '' for one number)."""
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({one(sel(metric, *matchers, filtered=filtered))})"


def increase(metric: str, window: str, by: str = "", *matchers: str, filtered: bool = True) -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({one(f'increase({sel(metric, *matchers, filtered=filtered)}[{window}])')})"


def rate(metric: str, window: str, by: str = "", *matchers: str, filtered: bool = True) -> str:
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping} ({one(f'rate({sel(metric, *matchers, filtered=filtered)}[{window}])')})"


def ratio(numerator: str, denominator: str) -> str:
    """A ratio that is 0 rather than missing when the denominator is 0."""
    return f"({numerator}) / clamp_min({denominator}, 1)"


def quantile(q: float, histogram: str, by: str, window: str | None = None, per_agent: bool = True) -> str:
    """A quantile of a histogram: all-time (cumulative buckets) or over `window`."""
    buckets = sel(f"{histogram}_bucket") if per_agent else f"{histogram}_bucket{{{INSTANCE_FILTER}}}"
    inner = f"rate({buckets}[{window}])" if window else buckets
    return f"histogram_quantile({q}, sum by (le, {by}) ({one(inner)}))"


def or_zero(expr: str) -> str:
    """0 instead of no data (a family with no series yet: no problems, no requests)."""
    return f"({expr}) or vector(0)"

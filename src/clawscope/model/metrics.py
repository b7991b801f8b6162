"""Metric families as plain data: what `/metrics` (Prometheus text) and the OTLP metrics export both
render, and what any package adds to them (findings, alerts: see `exports.metrics.SOURCES`).

A family is named the Prometheus way (`clawscope_model_calls`, counters without `_total`), carries its
label names in order, and its samples carry the values in that order. Histogram samples carry cumulative
bucket counts (one per bound, then +Inf, which equals the count) and the sum. No I/O: the packages that
read the store build these.

`capped` is the one cardinality rule: at most `cap` values of a free-text label are named (the
earliest seen first, so a value never moves between series as data grows: counters stay monotonic);
the others are reported together as `other`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

OTHER = "other"
KINDS = ("counter", "gauge", "histogram")


class Sample(msgspec.Struct, frozen=True):
    labels: tuple[str, ...]  # values, in the order of the family's `labels`
    value: float = 0.0  # counters and gauges
    buckets: tuple[float, ...] = ()  # histograms: cumulative counts per bound, then +Inf (= count)
    sum: float = 0.0  # histograms


class MetricFamily(msgspec.Struct, frozen=True):
    name: str  # Prometheus name; a counter's samples are exposed as `<name>_total`
    kind: str  # counter | gauge | histogram
    help: str
    labels: tuple[str, ...] = ()
    samples: list[Sample] = msgspec.field(default_factory=list)
    bounds: tuple[float, ...] = ()  # histogram upper bounds, in the family's unit
    unit: str = ""  # "seconds" for durations (the name ends with it), "" otherwise


def capped(first_seen: Mapping[str, int | None], cap: int) -> set[str]:
    """The values to name: all of them if they are at most `cap`, else the `cap` seen first (ties and
    unknown times by name)."""
    if len(first_seen) <= cap:
        return set(first_seen)
    ranked = sorted(first_seen.items(), key=lambda kv: (kv[1] is None, kv[1] or 0, kv[0]))
    return {value for value, _ in ranked[:cap]}


def first_seen(rows: Iterable[Mapping[str, object]], label: str) -> dict[str, int | None]:
    """The earliest `first_ms` of each value of `label` over rows that carry both."""
    out: dict[str, int | None] = {}
    for r in rows:
        value = str(r[label])
        t = r.get("first_ms")
        when = t if isinstance(t, int) else None
        known = out.get(value)
        if value not in out or (when is not None and (known is None or when < known)):
            out[value] = when
    return out

"""Metric families rendered for Prometheus with `prometheus-client`: the text format by default,
OpenMetrics when the scraper asks for it (`Accept: application/openmetrics-text`), with the process's
own health (CPU, memory, open files, garbage collection: the client's standard collectors) beside
clawscope's families.

The client's registry is built per scrape around a collector that yields the families read from the
store (no value lives in this process), so several server processes always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from clawscope.model.metrics import MetricFamily


def _le(bound: float) -> str:
    return repr(float(bound))


def to_prometheus(family: MetricFamily) -> Metric:
    """One family as the client's metric object."""
    labels = list(family.labels)
    metric: Metric
    if family.kind == "counter":
        metric = CounterMetricFamily(family.name, family.help, labels=labels)
        for s in family.samples:
            metric.add_metric(list(s.labels), s.value)
    elif family.kind == "gauge":
        metric = GaugeMetricFamily(family.name, family.help, labels=labels)
        for s in family.samples:
            metric.add_metric(list(s.labels), s.value)
    elif family.kind == "histogram":
        metric = HistogramMetricFamily(family.name, family.help, labels=labels, unit=family.unit)
        les = [*(_le(b) for b in family.bounds), "+Inf"]
        for s in family.samples:
            metric.add_metric(list(s.labels), list(zip(les, s.buckets, strict=True)), s.sum)
    else:
        raise ValueError(f"unknown metric kind {family.kind!r}")
    return metric


class _Families(Collector):
    def __init__(self, families: Iterable[MetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        for family in self.families:
            yield to_prometheus(family)


def render(families: Iterable[MetricFamily], accept: str = "") -> tuple[bytes, str]:
    """(body, content type) of a scrape: OpenMetrics if `accept` asks for it, else the text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type

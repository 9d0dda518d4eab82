"""Prometheus metrics (prometheus-client), correct with ``--workers`` too.

With several workers, ``ticker serve`` gives them a shared directory in
``PROMETHEUS_MULTIPROC_DIR`` and every worker's ``/metrics`` answers for all of them
(prometheus-client's multiprocess mode).  Requests are counted in plain
dictionaries on the hot path and handed to prometheus-client once a second, with
one request in :data:`LATENCY_SAMPLE` timed, so that measuring costs the strip
almost nothing.

Exported:
``ticker_refresh_total{kind,source,outcome}``, ``ticker_refresh_seconds{kind,source}``,
``ticker_source_last_success_timestamp_seconds{kind,source}``,
``ticker_rejected_values_total{kind,source}``, ``ticker_item_age_seconds{kind,item}``,
``ticker_item_stale{kind,item}``, ``ticker_http_requests_total{route,status}`` (304s are
cache hits of clients and proxies), ``ticker_http_request_duration_seconds{route}``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ticker._config import DataKind
from ticker._data.refresh import RefreshObserver, Rejection
from ticker._serving.snapshot import SnapshotHolder

__all__ = ["CONTENT_TYPE_LATEST", "LATENCY_SAMPLE", "Metrics", "multiprocess_directory"]

#: One request in this many is timed for the latency histogram.
LATENCY_SAMPLE = 16
_LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0)


def multiprocess_directory() -> str | None:
    """The directory the workers share their metrics through, if there are workers."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _Ages(Collector):
    """The age and staleness of every shown item, read from the snapshot at scrape time."""

    def __init__(self, holder: SnapshotHolder) -> None:
        self.holder = holder

    def collect(self) -> Iterator[Metric]:
        snapshot = self.holder.current
        strip = snapshot.strips[snapshot.settings.default_language]
        since = time.time() - snapshot.stamp.generated_at.timestamp()
        ages = GaugeMetricFamily(
            "ticker_item_age_seconds", "Seconds since the shown value was fetched.",
            labels=["kind", "item"],
        )  # fmt: skip
        stale = GaugeMetricFamily(
            "ticker_item_stale", "1 while the shown value is stale or missing.",
            labels=["kind", "item"],
        )  # fmt: skip
        items = [("rates", r.code, r.age, r.stale or r.missing) for r in strip.rates] + [
            ("weather", w.city, w.age, w.stale or w.missing) for w in strip.weather
        ]
        for kind, item, age, bad in items:
            if age is not None:
                ages.add_metric([kind, item], age + since)
            stale.add_metric([kind, item], 1.0 if bad else 0.0)
        yield ages
        yield stale


class Metrics(RefreshObserver):
    """The service's metrics: a refresh observer, and counters for the hot path."""

    def __init__(self, holder: SnapshotHolder) -> None:
        self.holder = holder
        self.multiprocess = multiprocess_directory() is not None
        # In multiprocess mode values live in files; the registry is assembled per scrape.
        own = None if self.multiprocess else CollectorRegistry()
        self.registry = own
        self.refreshes = Counter(
            "ticker_refresh", "Refreshes per source and outcome.",
            ["kind", "source", "outcome"], registry=own,
        )  # fmt: skip
        self.refresh_seconds = Histogram(
            "ticker_refresh_seconds", "Time one source took to answer.",
            ["kind", "source"], registry=own,
        )  # fmt: skip
        self.last_success = Gauge(
            "ticker_source_last_success_timestamp_seconds", "When a source last answered well.",
            ["kind", "source"], registry=own, multiprocess_mode="max",
        )  # fmt: skip
        self.rejections = Counter(
            "ticker_rejected_values", "Values refused by the guards.",
            ["kind", "source"], registry=own,
        )  # fmt: skip
        self.requests = Counter(
            "ticker_http_requests", "Answered requests per route and status.",
            ["route", "status"], registry=own,
        )  # fmt: skip
        self.latency = Histogram(
            "ticker_http_request_duration_seconds",
            f"Time to answer, sampled one request in {LATENCY_SAMPLE}.",
            ["route"], registry=own, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        self.counts: dict[tuple[str, int], int] = {}
        self.samples: list[tuple[str, float]] = []
        self._seen = 0
        if own is not None:
            own.register(_Ages(holder))

    def fetched(
        self, kind: DataKind, source: str, *, error: str | None, items: int, seconds: float
    ) -> None:
        outcome = "ok" if error is None else "error"
        self.refreshes.labels(kind, source, outcome).inc()
        self.refresh_seconds.labels(kind, source).observe(seconds)
        if error is None:
            self.last_success.labels(kind, source).set(time.time())

    def rejected(self, kind: DataKind, rejection: Rejection) -> None:
        self.rejections.labels(kind, rejection.source).inc()

    def answered(self, route: str, status: int, started: float) -> None:
        """Count one answer (hot path: a dict update; one in LATENCY_SAMPLE is timed)."""
        key = (route, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        self._seen += 1
        if self._seen % LATENCY_SAMPLE == 0:
            self.samples.append((route, time.perf_counter() - started))

    def flush(self) -> None:
        """Hand what the hot path counted to prometheus-client."""
        counts, self.counts = self.counts, {}
        samples, self.samples = self.samples, []
        for (route, status), count in counts.items():
            self.requests.labels(route, str(status)).inc(count)
        for route, seconds in samples:
            self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format, for every worker of this host."""
        self.flush()
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(_Ages(self.holder))
        return generate_latest(registry)

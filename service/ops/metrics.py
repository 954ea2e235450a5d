"""Prometheus metrics at ``/metrics``, read from the database at each scrape.

Runs, uploads and failed sign-ins are counted from the database rather than from
in-process counters: any number of API processes and job workers share one
database, so every process reports the same totals, and a restart loses nothing.
"""

from __future__ import annotations

import bisect
from typing import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from service.models import AuditEntry, CorrelationRun, RunStatus, ScanRecord

#: Upper bounds (seconds) of the run-latency histogram: one scan against a store takes
#: seconds; a large store or a busy queue minutes.
LATENCY_BUCKETS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)
SIGNIN_FAILURES = ("login.failed", "login.locked", "login.throttled")


class DatabaseCollector(Collector):
    def __init__(self, session_factory):
        self.session_factory = session_factory

    def collect(self) -> Iterator:
        with self.session_factory() as session:
            by_status = dict(
                session.execute(select(CorrelationRun.status, func.count()).group_by(CorrelationRun.status)).all()
            )
            runs = GaugeMetricFamily("ballistics_runs", "Correlation runs by status", labels=["status"])
            for status in RunStatus:
                runs.add_metric([status.value], by_status.get(status, 0))
            yield runs

            durations = sorted(
                (f - s).total_seconds()
                for s, f in session.execute(
                    select(CorrelationRun.started_at, CorrelationRun.finished_at).where(
                        CorrelationRun.status == RunStatus.done,
                        CorrelationRun.started_at.is_not(None),
                        CorrelationRun.finished_at.is_not(None),
                    )
                )
            )
            buckets = [(str(b), bisect.bisect_right(durations, b)) for b in LATENCY_BUCKETS]
            buckets.append(("+Inf", len(durations)))
            yield HistogramMetricFamily(
                "ballistics_run_latency_seconds", "Time from a run's start to its result (finished runs)",
                buckets=buckets, sum_value=sum(durations),
            )

            uploads = CounterMetricFamily("ballistics_uploads", "Scans uploaded and stored")
            uploads.add_metric([], session.scalar(select(func.count()).select_from(ScanRecord)) or 0)
            yield uploads

            failed = dict(
                session.execute(
                    select(AuditEntry.action, func.count())
                    .where(AuditEntry.action.in_(SIGNIN_FAILURES))
                    .group_by(AuditEntry.action)
                ).all()
            )
            signin = CounterMetricFamily(
                "ballistics_signin_failures", "Refused sign-ins (wrong password, locked account, throttled address)",
                labels=["reason"],
            )
            for action in SIGNIN_FAILURES:
                signin.add_metric([action.removeprefix("login.")], failed.get(action, 0))
            yield signin


def make_registry(session_factory) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(session_factory))
    return registry


def render(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST

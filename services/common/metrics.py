"""Prometheus metrics (module-level objects, as prometheus-client requires) and the
`Instrumentation` provider that every service declares: RED metrics per entrypoint (rate, errors,
duration) and the log context (service, correlation id) of each worker.
"""

import logging
import time
from typing import Any

from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from services.common import logs

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10)

ENTRYPOINT_CALLS = Counter(
    "kameng_entrypoint_calls_total",
    "Entrypoint invocations by outcome (ok, error)",
    ["service", "kind", "entrypoint", "outcome"],
)
ENTRYPOINT_SECONDS = Histogram(
    "kameng_entrypoint_duration_seconds",
    "Entrypoint duration",
    ["service", "kind", "entrypoint"],
    buckets=LATENCY_BUCKETS,
)
HTTP_RESPONSES = Counter("kameng_http_responses_total", "HTTP responses by route and status", ["route", "status"])
OUTBOX_PUBLISHED = Counter("kameng_outbox_published_total", "Events published from the outbox", ["service"])
OUTBOX_PENDING = Gauge(
    "kameng_outbox_pending", "Outbox rows not yet published (as of the relay's last pass)", ["service"]
)
OUTBOX_LAG = Gauge("kameng_outbox_lag_seconds", "Age of the oldest unpublished outbox row", ["service"])
RELAY_ERRORS = Counter(
    "kameng_outbox_relay_errors_total", "Relay passes that failed (broker or database down)", ["service"]
)
EVENTS_DUPLICATE = Counter("kameng_events_duplicate_total", "Redelivered events skipped by the inbox", ["consumer"])
EVENTS_RETRIED = Counter("kameng_events_retried_total", "Failed event deliveries scheduled for another try", ["queue"])
log = logging.getLogger("kameng.entrypoint")

PAYMENT_NOTIFICATIONS = Counter(
    "kameng_payment_notifications_total",
    "Payment notifications and reconciliation answers by outcome (paid, repeat, rejected, refused)",
    ["channel", "outcome"],
)
SOLD_OUT_AT_DOOR = Counter(
    "kameng_orders_sold_out_at_door_total",
    "Orders answered 409 out_of_stock by the gateway itself (gateway/soldout.py)",
)
EVENTS_DEAD_LETTERED = Counter("kameng_events_dead_lettered_total", "Events moved to a dead-letter queue", ["queue"])
EVENT_BATCH_SIZE = Histogram(
    "kameng_event_batch_size",
    "Events handled together in one transaction by a batched handler",
    ["queue"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
RPC_BATCH_SIZE = Histogram(
    "kameng_rpc_batch_size",
    "Calls of concurrent workers sent together in one RPC round trip (services/common/batching.py)",
    ["call"],
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
EVENT_BATCHES_SPLIT = Counter(
    "kameng_event_batches_split_total", "Batches that failed and were retried one event at a time", ["queue"]
)


def exposition() -> tuple[bytes, str]:
    """(body, content type) of the Prometheus text format for this process."""
    return generate_latest(), CONTENT_TYPE_LATEST


def entrypoint_kind(entrypoint: Any) -> str:
    for cls, kind in ((HttpRequestHandler, "http"), (EventHandler, "event"), (Rpc, "rpc")):
        if isinstance(entrypoint, cls):
            return kind
    return "other"


class Instrumentation(DependencyProvider):
    """Declare once per service class: `instrumentation = Instrumentation()`."""

    def __init__(self) -> None:
        self.started: dict[Any, float] = {}  # by worker context
        self.outcomes: dict[Any, str] = {}

    def worker_setup(self, worker_ctx: Any) -> None:
        logs.bind(worker_ctx.service_name, worker_ctx.data.get("correlation_id"))
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        outcome = "ok" if exc_info is None else "error"
        self.outcomes[worker_ctx] = outcome
        ENTRYPOINT_CALLS.labels(*self._labels(worker_ctx), outcome).inc()

    def worker_teardown(self, worker_ctx: Any) -> None:
        started = self.started.pop(worker_ctx, None)
        outcome = self.outcomes.pop(worker_ctx, "ok")
        if started is not None:
            labels = self._labels(worker_ctx)
            seconds = time.perf_counter() - started
            ENTRYPOINT_SECONDS.labels(*labels).observe(seconds)
            level = logging.DEBUG if labels[1] == "other" else logging.INFO  # timers: every second
            log.log(level, "%s %s.%s %s %.1fms", labels[1], labels[0], labels[2], outcome, seconds * 1000)
        logs.bind()

    @staticmethod
    def _labels(worker_ctx: Any) -> tuple[str, str, str]:
        entrypoint = worker_ctx.entrypoint
        return worker_ctx.service_name, entrypoint_kind(entrypoint), entrypoint.method_name


RISK_DECISIONS = Counter(
    "kameng_risk_decisions_total", "Risk decisions by outcome (approve, review, reject)", ["outcome"]
)
RISK_RULES_FIRED = Counter(
    "kameng_risk_rules_fired_total", "Risk rules that fired, by rule and the decision's outcome", ["rule", "outcome"]
)
RISK_REFERRALS = Counter(
    "kameng_risk_referrals_total",
    "Referrals risk judged (issue 22): allowed, or the reason refused (self_referral, same_contact, same_ip, "
    "same_device, referral_ring)",
    ["outcome"],
)
RISK_ASSESSMENT_SECONDS = Histogram(
    "kameng_risk_assessment_seconds",
    "Time to assess one order (rules, lists, counters, decision row)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)

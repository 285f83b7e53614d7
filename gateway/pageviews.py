"""Product views for the analytics funnel (issue 22): counted per SKU in the gateway process and
sent as one `product_views_counted` event per interval, never one message per view (a view is
the hottest request there is). The event goes on `gateway.events` with publisher confirms; a
publish that fails keeps its counts for the next interval. What a gateway had counted and not
sent when it stops is lost: views are a funnel's top, an estimate, not money (docs/analytics.md).

At most MAX_SKUS different SKUs are counted per interval (a flood of made-up SKUs cannot grow
the gateway's memory): only a product that was found is counted in the first place."""

import logging
from collections import Counter
from typing import Any

import eventlet
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider

from services.common import envelope
from services.common.broker import BROKER_ERRORS
from services.common.outbox import event_exchange

log = logging.getLogger(__name__)

EVENT = "product_views_counted"
MAX_SKUS = 5000


class Tally:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def seen(self, sku: str) -> None:
        if sku in self.counts or len(self.counts) < MAX_SKUS:
            self.counts[sku] += 1

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, Counter()
        return dict(counts)

    def give_back(self, counts: dict[str, int]) -> None:
        for sku, n in counts.items():
            if sku in self.counts or len(self.counts) < MAX_SKUS:
                self.counts[sku] += n


class PageViews(DependencyProvider):
    """`self.page_views.seen(sku)` in a route; a managed thread sends the tally every
    VIEWS_FLUSH_S seconds (default 10)."""

    def setup(self) -> None:
        config = self.container.config
        self.tally = Tally()
        self.every_s = float(config.get("VIEWS_FLUSH_S", 10))
        self.exchange = event_exchange(self.container.service_name)
        self.publisher = Publisher(
            config["AMQP_URI"],
            use_confirms=True,
            exchange=self.exchange,
            declare=[self.exchange],
            retry=True,
            retry_policy={"max_retries": 2},
            ssl=config.get("AMQP_SSL"),
        )

    def start(self) -> None:
        self.container.spawn_managed_thread(self.run, identifier="gateway.page_views")

    def stop(self) -> None:
        self.flush()

    def run(self) -> None:
        while True:
            eventlet.sleep(self.every_s)
            self.flush()

    def flush(self) -> None:
        counts = self.tally.take()
        if not counts:
            return
        data = {"views": counts, "at": envelope.isoformat(envelope.utcnow())}
        try:
            self.publisher.publish(envelope.make(EVENT, data), routing_key=EVENT, delivery_mode=2)
        except (*BROKER_ERRORS, Exception) as exc:  # kept for the next interval
            log.warning("product views not sent (%s); kept for the next interval", type(exc).__name__)
            self.tally.give_back(counts)

    def get_dependency(self, worker_ctx: Any) -> Tally:
        return self.tally

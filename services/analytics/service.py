from datetime import datetime
from zoneinfo import ZoneInfo

from services.analytics import ingest, models, replay, reports
from services.common import audit
from services.common.db import Database
from services.common.errors import DomainError, InvalidInput
from services.common.events import batch_handler
from services.common.rpc import rpc
from services.common.service import BaseService

command = rpc(expected_exceptions=DomainError)
SHOP_TZ = ZoneInfo(reports.TZ)


def _consume(source, event_type):
    """A batched handler of one event type: kept in the raw log and applied with its inbox row."""
    consumer = ingest.consumer(source)

    def handle(self, envelopes):
        self.db.once_all(f"analytics.{event_type}", envelopes, consumer)

    handle.__name__ = f"handle_{event_type}"
    return batch_handler(source, event_type)(handle)


class AnalyticsService(BaseService):
    """Reports built from the event stream only (issue 22): it consumes events other services
    publish anyway, keeps each envelope in its own raw log, and answers the console's reports.
    It publishes nothing and calls nobody."""

    name = "analytics"
    db = Database(models.metadata)

    handle_orders_placed = _consume("order", "orders_placed")
    handle_order_completed = _consume("order", "order_completed")
    handle_order_refunded = _consume("order", "order_refunded")
    handle_payment_succeeded = _consume("payment", "payment_succeeded")
    handle_risk_rejected = _consume("risk", "risk_rejected")
    handle_review_rejected = _consume("risk", "review_rejected")
    handle_product_created = _consume("catalog", "product_created")
    handle_product_updated = _consume("catalog", "product_updated")
    handle_stock_replenished = _consume("supplier", "stock_replenished")
    handle_product_views_counted = _consume("gateway", "product_views_counted")

    def _bounds(self, since, until):
        return reports.period(since, until, datetime.now(SHOP_TZ).date())

    @command
    def report(self, name, since=None, until=None, by=None):
        bounds = self._bounds(since, until)
        with self.db.transaction() as s:
            if name == "breakdown":
                return reports.breakdown(s, by or "sku", bounds)
            if name not in reports.REPORTS:
                raise InvalidInput("no such report", {"report": name, "choices": list(reports.REPORTS)})
            return getattr(reports, name)(s, bounds)

    @command
    def replay(self, actor):
        """Rebuild the reporting tables from the raw event log (audited)."""
        with self.db.transaction() as s:
            done = replay.replay(s)
            audit.record(s, str(actor), "analytics.replay", "reports", done)
        return done

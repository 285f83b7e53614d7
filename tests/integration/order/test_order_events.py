"""The order service's saga handlers through the real broker."""
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.common import metrics
from services.common.testing import make_envelope
from services.order.service import OrderService


def test_an_event_for_an_unknown_order_is_dropped_not_retried(config, container_factory):
    container = container_factory(OrderService, config)
    container.start()
    queue = "evt-catalog-stock_reserved--order.handle_stock_reserved"
    retried = metrics.EVENTS_RETRIED.labels(queue)._value.get()
    with entrypoint_waiter(container, "handle_stock_reserved"):
        event_dispatcher(config)("catalog", "stock_reserved",
                                 make_envelope("stock_reserved", order_no="KNOTOURS000000", sku="X", quantity=1))
    assert metrics.EVENTS_RETRIED.labels(queue)._value.get() == retried

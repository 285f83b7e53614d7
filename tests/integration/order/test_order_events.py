"""The order service's saga handlers through the real broker."""

from datetime import UTC

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.common import metrics
from services.common.testing import make_envelope
from services.order.service import OrderService
from tests.integration.order.helpers import stored_order


def test_an_event_for_an_unknown_order_is_dropped_not_retried(config, container_factory):
    container = container_factory(OrderService, config)
    container.start()
    queue = "evt-catalog-stock_reserved--order.handle_stock_reserved"
    retried = metrics.EVENTS_RETRIED.labels(queue)._value.get()
    with entrypoint_waiter(container, "handle_stock_reserved"):
        event_dispatcher(config)(
            "catalog", "stock_reserved", make_envelope("stock_reserved", order_no="KNOTOURS000000", sku="X", quantity=1)
        )
    assert metrics.EVENTS_RETRIED.labels(queue)._value.get() == retried


def test_lock_reads_the_status_afresh(database_url):
    from datetime import datetime

    from services.common.db import make_engine, transaction
    from services.order import saga
    from services.order.models import Order, metadata

    engine = make_engine(database_url)
    order_no = "KLOCKTEST" + datetime.now(UTC).strftime("%H%M%S%f")
    stored_order(engine, "awaiting_payment", order_no)
    with transaction(engine, metadata) as s:
        stale = s.get(Order, order_no)  # loaded before someone else moves it
        with transaction(engine, metadata) as other:
            other.get(Order, order_no).status = "paid"
        assert stale.status == "awaiting_payment"
        assert saga.lock(s, order_no).status == "paid"
    engine.dispose()


def test_a_payment_for_an_order_under_review_is_refunded_not_delivered(config, container_factory, database_url):
    """Payments are assessed too: money for a held order goes back, and its stock with it."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from services.common.db import make_engine, transaction
    from services.order.models import Order, metadata

    engine = make_engine(database_url)
    order_no = "KREVIEWPAY" + datetime.now(UTC).strftime("%H%M%S%f")
    stored_order(engine, "review", order_no, expires_at=datetime.now(UTC) + timedelta(minutes=30))
    container = container_factory(OrderService, config)
    container.start()
    with entrypoint_waiter(container, "handle_payment_succeeded"):
        event_dispatcher(config)(
            "payment",
            "payment_succeeded",
            make_envelope("payment_succeeded", order_no=order_no, payment_no="PREVIEW", amount=1, channel="sandbox"),
        )
    outbox = metadata.tables["order.outbox"]
    with transaction(engine, metadata) as s:
        assert s.get(Order, order_no).status == "refunding"
        requests = (
            s.execute(
                select(outbox.c.type)
                .where(outbox.c.envelope["data"]["order_no"].astext == order_no)
                .order_by(outbox.c.id)
            )
            .scalars()
            .all()
        )
    assert requests == ["stock_release_requested", "refund_requested"]
    engine.dispose()


def test_a_re_sent_risk_request_carries_the_buyers_signals(database_url):
    """The sweeper re-sends a stuck assessment with the IP and device, or a blacklist would miss it."""
    from datetime import datetime, timedelta

    from sqlalchemy import select

    from services.common.db import make_engine, transaction
    from services.order import saga
    from services.order.models import Transition, metadata

    engine = make_engine(database_url)
    order_no = "KRESEND" + datetime.now(UTC).strftime("%H%M%S%f")
    signals = {"ip": "203.0.113.5", "device_id": "dev-9", "category": "游戏点卡"}
    stored_order(
        engine,
        "pending",
        order_no,
        last_requests=[saga.FIRST_REQUEST],
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
        step_started_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    with transaction(engine, metadata) as s:
        s.add(
            Transition(
                order_no=order_no,
                from_status=None,
                to_status="pending",
                event="order_created",
                data={"signals": signals},
            )
        )
    with transaction(engine, metadata) as s:
        saga.sweep(s)
    outbox = metadata.tables["order.outbox"]
    with transaction(engine, metadata) as s:
        sent = (
            s.execute(select(outbox.c.envelope).where(outbox.c.envelope["data"]["order_no"].astext == order_no))
            .scalars()
            .all()
        )
    assert len(sent) == 1 and {k: sent[0]["data"][k] for k in signals} == signals
    engine.dispose()

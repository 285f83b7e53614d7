"""The catalog service through the real broker: reservations over RPC, domain errors arriving as
themselves, and the reservation's event published from the outbox to catalog.events."""

import pytest
from kombu import Connection, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from services.catalog.service import CatalogService
from services.common.errors import InvalidInput, NotFound, OutOfStock
from services.common.outbox import event_exchange
from services.common.testing import unique

WATCHED = {"stock_reserved", "stock_reservation_failed", "stock_committed"}


@pytest.fixture
def catalog(config, container_factory):
    container = container_factory(CatalogService, config)
    container.start()
    return container


def test_reserve_over_rpc_publishes_stock_reserved(config, catalog, make_product):
    sku = make_product(n_codes=2, max_quantity=2)
    order = unique("ORD")
    with Connection(config["AMQP_URI"]) as conn:
        probe = conn.SimpleQueue(Queue(unique("probe"), exchange=event_exchange("catalog"), routing_key="#"))
        with ClusterRpcProxy(config, context_data={"correlation_id": "cid-42"}) as cluster:
            held = cluster.catalog.reserve(order, sku, 2, 600)
            assert (held["outcome"], held["status"]) == ("reserved", "held")
            with pytest.raises(OutOfStock) as missing:
                cluster.catalog.reserve(unique("ORD"), sku, 1, 600)
            assert missing.value.details == {"sku": sku, "quantity": 1}
            with pytest.raises(InvalidInput):
                cluster.catalog.reserve(unique("ORD"), sku, -1, 600)
            with pytest.raises(NotFound):
                cluster.catalog.commit(unique("ORD"))
            assert cluster.catalog.commit(order)["status"] == "committed"
            codes = cluster.catalog.get_codes(order)
        assert [c["code"] for c in codes] == [f"{sku}-CODE-0", f"{sku}-CODE-1"]
        seen = []  # the relay also publishes rows other tests wrote without one: filter by SKU
        while len(seen) < 3:
            message = probe.get(timeout=10)
            if message.payload["data"].get("sku") == sku and message.payload["type"] in WATCHED:
                seen.append((message.delivery_info["routing_key"], message.payload["correlation_id"]))
            message.ack()
        probe.close()
    assert seen == [("stock_reserved", "cid-42"), ("stock_reservation_failed", "cid-42"), ("stock_committed", "cid-42")]


def test_expired_reservations_are_released_by_the_service_timer(config, catalog, make_product, tx):
    import eventlet

    from services.catalog.models import Reservation

    sku = make_product(n_codes=1)
    order = unique("ORD")
    with ClusterRpcProxy(config) as cluster:
        cluster.catalog.reserve(order, sku, 1, 1)
    for _ in range(50):  # the sweeper runs every 2 s
        eventlet.sleep(0.2)
        with tx() as s:
            if s.get(Reservation, order).status == "released":
                break
    with tx() as s:
        assert s.get(Reservation, order).status == "released"


def test_commit_all_taken_after_its_deadline_does_nothing(config, catalog, make_product, tx):
    """A commit request the catalog takes after its caller stopped waiting (it was down or
    behind) sells nothing: the order has gone on without it (its sweeper, a refund)."""
    import time

    from services.catalog.models import Reservation

    sku = make_product(n_codes=2)
    late, on_time = unique("ORD"), unique("ORD")
    with ClusterRpcProxy(config) as cluster:
        cluster.catalog.reserve(late, sku, 1, 600)
        cluster.catalog.reserve(on_time, sku, 1, 600)
        assert cluster.catalog.commit_all([late], deadline=time.time() - 1) == {}
        assert cluster.catalog.commit_all([on_time], deadline=time.time() + 10) == {on_time: "committed"}
    with tx() as s:
        assert s.get(Reservation, late).status == "held"
        assert s.get(Reservation, on_time).status == "committed"


def test_a_product_in_a_currency_the_channel_does_not_take_is_refused_before_anything_is_held(
    config, catalog, make_product, tx
):
    from sqlalchemy import text

    sku = make_product(n_codes=1)  # priced in CNY
    order = unique("ORD")
    with ClusterRpcProxy(config) as cluster:
        with pytest.raises(InvalidInput) as refused:
            cluster.catalog.reserve_quoted(order, sku, 1, 600, currencies=["USD"])
        assert refused.value.details["currency"] == "CNY"
        with pytest.raises(InvalidInput):
            cluster.catalog.reserve_quoted(unique("ORD"), sku, 1, 600, currencies=["cny; drop"])
        with tx() as s:
            held = s.execute(text("SELECT count(*) FROM catalog.reservations WHERE order_no = :o"), {"o": order})
            assert held.scalar() == 0
        assert cluster.catalog.reserve_quoted(order, sku, 1, 600, currencies=["CNY", "USD"])["currency"] == "CNY"

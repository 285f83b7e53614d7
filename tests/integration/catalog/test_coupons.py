"""Coupons on real PostgreSQL: redeemed in the reservation's transaction, exactly once under
concurrent orders, given back with the reservation or on refund."""

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import select

from services.catalog.domain import coupons, stock
from services.catalog.models import Coupon, CouponRedemption, StockLevel
from services.catalog.service import CatalogService
from services.common.errors import CouponUnavailable, OutOfStock
from services.common.testing import make_envelope, unique


@pytest.fixture
def make_coupon(tx):
    def make(**fields):
        code = unique("C").replace("-", "")[:60]
        with tx() as s:
            return coupons.create_coupon(
                s, "test", {"code": code, "name": "test", "kind": "amount", "amount_off": 300, **fields}
            )

    return make


def counters(tx, coupon_id):
    with tx() as s:
        redeemed = s.scalar(select(Coupon.redeemed).where(Coupon.id == coupon_id))
        rows = s.execute(
            select(CouponRedemption.order_no, CouponRedemption.status).where(CouponRedemption.coupon_id == coupon_id)
        ).all()
    return redeemed, dict(tuple(r) for r in rows)


def reserve(tx, sku, code, buyer="email:a@example.com", quantity=1, order_no=None):
    with tx() as s:
        return stock.reserve_quoted(s, order_no or unique("ORD"), sku, quantity, 600, coupon=code, buyer=buyer)


def test_one_single_use_coupon_raced_by_many_orders_goes_to_exactly_one(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon(single_use=True)

    def attempt(_):
        try:
            return reserve(tx, sku, c["code"].lower(), buyer=f"email:{unique('b')}@example.com")["total"]
        except CouponUnavailable as exc:
            return exc.details["reason"]

    results = list(eventlet.GreenPool(12).imap(attempt, range(12)))
    assert sorted(results, key=str) == [700] + ["used_up"] * 11
    redeemed, rows = counters(tx, c["id"])
    assert redeemed == 1 and list(rows.values()) == ["redeemed"]
    with tx() as s:  # the refused orders hold nothing: their transactions rolled back whole
        assert s.get(StockLevel, sku).reserved == 1


def test_the_per_buyer_limit_holds_under_concurrent_orders_of_one_buyer(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon(per_buyer_limit=2, total_limit=100)

    def attempt(_):
        try:
            return reserve(tx, sku, c["code"], buyer="member:99")["discount"]
        except CouponUnavailable as exc:
            return exc.details["reason"]

    results = list(eventlet.GreenPool(8).imap(attempt, range(8)))
    assert sorted(results, key=str) == [300, 300] + ["buyer_limit"] * 6
    assert reserve(tx, sku, c["code"], buyer="email:other@example.com")["discount"] == 300  # another buyer
    assert counters(tx, c["id"])[0] == 3


def test_the_quote_carries_the_discount_and_the_rule_names_the_coupon(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000, max_quantity=5)
    c = make_coupon(min_total=3000, scope="sku", scope_value=sku)
    with pytest.raises(CouponUnavailable) as below:
        reserve(tx, sku, c["code"], quantity=2)
    assert below.value.details["reason"] == "below_threshold"
    quote = reserve(tx, sku, c["code"], quantity=3)
    assert (quote["subtotal"], quote["discount"], quote["total"]) == (3000, 300, 2700)
    assert quote["rule"]["coupon"] == {"code": c["code"], "coupon_id": c["id"], "discount": 300}


def test_an_unknown_coupon_or_one_on_an_agents_price_is_refused_and_nothing_is_held(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon()
    with pytest.raises(CouponUnavailable) as unknown:
        reserve(tx, sku, "NO-SUCH-COUPON")
    assert unknown.value.details["reason"] == "unknown"
    with pytest.raises(CouponUnavailable) as agent, tx() as s:
        stock.reserve_quoted(s, unique("ORD"), sku, 1, 600, agent_level="gold", coupon=c["code"], buyer="member:1")
    assert agent.value.details["reason"] == "agent_price"
    with tx() as s:
        assert s.get(StockLevel, sku).reserved == 0
    assert counters(tx, c["id"]) == (0, {})


def test_no_stock_no_redemption(tx, make_product, make_coupon):
    sku = make_product(n_codes=1, price=1000, max_quantity=2)
    c = make_coupon(single_use=True)
    with pytest.raises(OutOfStock):
        reserve(tx, sku, c["code"], quantity=2)
    assert counters(tx, c["id"]) == (0, {})
    assert reserve(tx, sku, c["code"])["total"] == 700


def test_released_with_the_reservation_and_on_refund_once(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon(single_use=True)
    first = unique("ORD")
    reserve(tx, sku, c["code"], order_no=first)
    with tx() as s:
        assert stock.release(s, first)["released"]
    assert counters(tx, c["id"]) == (0, {first: "released"})
    second = unique("ORD")
    reserve(tx, sku, c["code"], order_no=second)  # free again
    with tx() as s:
        stock.commit(s, second)
    for _ in range(2):  # a refund after delivery gives it back, once
        with tx() as s:
            coupons.on_order_refunded(s, {"data": {"order_no": second}})
    assert counters(tx, c["id"]) == (0, {first: "released", second: "released"})
    with tx() as s:
        assert not coupons.release(s, first)  # a repeat changes nothing


def test_expired_reservations_swept_give_their_coupon_back(tx, make_product, make_coupon):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon(total_limit=1)
    order_no = unique("ORD")
    with tx() as s:
        stock.reserve_quoted(s, order_no, sku, 1, 1, coupon=c["code"], buyer="member:5")
    eventlet.sleep(1.2)
    with tx() as s:
        stock.sweep_expired(s)
    assert counters(tx, c["id"]) == (0, {order_no: "released"})


def test_over_the_broker_a_coupon_is_redeemed_by_rpc_and_given_back_once_on_order_refunded(
    config, container_factory, tx, make_product, make_coupon
):
    sku = make_product(delivery="recharge", price=1000)
    c = make_coupon(single_use=True)
    container = container_factory(CatalogService, config)
    container.start()
    order_no = unique("ORD")
    with ClusterRpcProxy(config) as cluster:
        quote = cluster.catalog.reserve_quoted(order_no, sku, 1, 600, coupon=c["code"], buyer="email:a@example.com")
        assert (quote["total"], quote["rule"]["coupon"]["code"]) == (700, c["code"])
        with pytest.raises(CouponUnavailable) as used_up:  # arrives as itself, with its reason
            cluster.catalog.reserve_quoted(unique("ORD"), sku, 1, 600, coupon=c["code"], buyer="email:b@example.com")
        assert used_up.value.details == {"reason": "used_up"}
        cluster.catalog.commit(order_no)
    envelope = make_envelope("order_refunded", order_no=order_no)
    for _ in range(2):  # the second delivery is a redelivery: nothing more
        with entrypoint_waiter(container, "handle_order_refunded"):
            event_dispatcher(config)("order", "order_refunded", envelope)
    assert counters(tx, c["id"]) == (0, {order_no: "released"})

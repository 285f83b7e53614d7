"""Expiry, late payments, a flash sale, and a service restarted mid-saga."""

import eventlet
import pytest
import requests

from services.common.testing import wait_until
from tests.e2e.helpers import WORKERS, Api, start_system
from tests.e2e.purchase.helpers import (
    buy,
    card_product,
    deliveries_handled,
    delivery_requests,
    order_of,
    pay,
    stock,
    wait_status,
)


@pytest.fixture
def short_window(config, runner_factory, seeded):
    """The whole system with a 2-second payment window."""
    config["PAYMENT_WINDOW_S"] = 2
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as api:
        yield api


def admin_of(api, config):
    admin = Api(api.base_url)
    admin.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
    return admin


def test_expiry_releases_stock_and_a_late_payment_is_still_delivered(short_window, config):
    api, admin = short_window, admin_of(short_window, config)
    sku = card_product(admin, codes=1)
    order = buy(api, sku).json()
    wait_status(api, order, "expired")
    wait_until(lambda: stock(api, sku) == 1, message="stock released")
    assert pay(api, order).status_code == 200  # the money arrives anyway
    done = wait_status(api, order, "completed")
    assert [i["code"] for i in done["items"]] == [f"{sku}-C0000"]
    assert admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["late"] is True


def test_a_late_payment_without_stock_is_refunded(short_window, config):
    api, admin = short_window, admin_of(short_window, config)
    sku = card_product(admin, codes=1)
    late = buy(api, sku).json()
    wait_status(api, late, "expired")
    wait_until(lambda: stock(api, sku) == 1, message="stock released")
    other = buy(api, sku).json()  # someone else takes the last code
    pay(api, other)
    wait_status(api, other, "completed")
    pay(api, late)
    refunded = wait_status(api, late, "refunded")
    assert refunded["items"] == []
    timeline = [t["to"] for t in admin.get(f"/api/v1/admin/orders/{late['order_no']}").json()["timeline"]]
    assert timeline[-3:] == ["paid", "refunding", "refunded"]


def test_flash_sale_three_hundred_buyers_for_one_hundred_codes(api, admin):
    sku = card_product(admin, codes=100, max_quantity=1)
    pool = eventlet.GreenPool(300)

    def attempt(n):
        response = requests.post(
            f"{api.base_url}/api/v1/orders",
            timeout=60,
            json={"sku": sku, "quantity": 1, "contact": f"fan{n}@example.com", "payment_channel": "sandbox"},
        )
        return response.status_code, response.json()

    answers = list(pool.imap(attempt, range(300)))
    assert all(status in (201, 409) for status, _ in answers), {s for s, _ in answers}
    refused = [body for status, body in answers if status == 409]
    assert all(body["error"]["code"] == "out_of_stock" for body in refused)
    orders = [body for status, body in answers if status == 201]
    for order in orders:  # an answer after the bounded wait may still be on its way
        if order["status"] in ("pending", "reserving") or (
            order["status"] == "awaiting_payment" and not order["payment"]
        ):
            order.update(wait_status(api, order, "awaiting_payment", "rejected", timeout=30))
    payable = [o for o in orders if o["status"] == "awaiting_payment"]
    assert len(payable) == 100
    for order in payable:
        pay(api, order)
    codes = [item["code"] for order in payable for item in wait_status(api, order, "completed", timeout=60)["items"]]
    assert len(codes) == 100 and len(set(codes)) == 100  # each code sold exactly once
    assert stock(api, sku) == 0


@pytest.fixture
def paid_while_the_catalog_is_down(config, runner_factory, seeded, db):
    """The whole system, then a card bought and paid while the catalog is stopped (its queues
    stay, durable): the order's own commit of the codes gets no answer in time (DELIVER_ANSWER_S)
    and the order stays `paid`, for the sweeper. (api, admin, sku with 2 codes, the order,
    start_catalog)."""
    config["DELIVER_ANSWER_S"] = 1
    catalog_cls = next(cls for cls in WORKERS if cls.name == "catalog")
    runner = start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as api:
        admin = admin_of(api, config)
        sku = card_product(admin, codes=2)
        order = buy(api, sku).json()
        next(c for c in runner.containers if c.service_name == "catalog").stop()
        pay(api, order)
        wait_status(api, order, "paid")
        eventlet.sleep(2)  # past the commit's deadline: the order gave up waiting
        assert order_of(api, order)["status"] == "paid" and delivery_requests(db, order) == []
        yield api, admin, sku, order, lambda: runner_factory(config, catalog_cls).start()


def test_a_service_restarted_mid_saga_resumes(paid_while_the_catalog_is_down, db, write):
    """The catalog back, the commit request it finds queued is past its deadline and does
    nothing (the order no longer waits for it); the order's step times out and the sweeper
    sends the delivery on by event, through the delivery service."""
    api, _, sku, order, start_catalog = paid_while_the_catalog_is_down
    start_catalog()
    wait_until(lambda: stock(api, sku) == 1, message="the catalog to answer")
    eventlet.sleep(1)
    assert order_of(api, order)["status"] == "paid"  # the late commit request did nothing
    write(
        "UPDATE \"order\".orders SET step_started_at = now() - interval '61 seconds' WHERE order_no = :o",
        o=order["order_no"],
    )  # the step's timeout passes
    assert len(wait_status(api, order, "completed")["items"]) == 1
    assert deliveries_handled(db, order)


def test_an_order_refunded_before_delivery_gives_its_codes_back(paid_while_the_catalog_is_down, db):
    """Paid, not delivered yet (the catalog is down), refunded by an admin: the reserved codes go
    back to stock instead of staying held for an order that will never show them; the commit the
    order asked for before, once the catalog is back, delivers nothing."""
    api, admin, sku, order, start_catalog = paid_while_the_catalog_is_down
    refunded = admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={"reason": "changed mind"})
    assert refunded.status_code == 200, refunded.text
    wait_status(api, order, "refunded")
    start_catalog()
    wait_until(lambda: stock(api, sku) == 2, message="both codes back in stock")
    eventlet.sleep(1)
    assert order_of(api, order)["status"] == "refunded" and order_of(api, order)["items"] == []
    assert stock(api, sku) == 2

"""Accepting an order at the cost DESIGN §3 allows (services/order/accept.py): one call from the
gateway, risk and the reservation with its price asked by RPC, no event before the pay link, the
payment intent made when the link is opened; what does not answer in time goes on by events;
sold out answered at the door. Every service, the real broker and database, over HTTP."""

import re

import pytest

from gateway.soldout import SoldOut
from services.common.testing import wait_until
from tests.e2e.helpers import assert_error, start_system
from tests.e2e.purchase.helpers import buy, card_product, events_of, order_of, pay, stock, wait_status


def test_an_order_is_accepted_in_one_call_without_an_event(api, admin, db):
    sku = card_product(admin, codes=2)
    order = buy(api, sku).json()
    assert order["status"] == "awaiting_payment" and order["payment"]["pay_url"]
    assert order["payment"]["payment_no"].startswith("P")
    # nothing was asked by event, and no participant announced what it answered
    assert events_of(db, "order", order) == []
    for service in ("risk", "catalog", "payment"):
        assert events_of(db, service, order) == [], service
    # the answers were recorded through the saga's table, as the events they stand for
    timeline = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    assert [(t["event"], t["to"]) for t in timeline] == [
        ("order_created", "pending"),
        ("risk_approved", "reserving"),
        ("stock_reserved", "awaiting_payment"),
    ]
    # the pay link is the gateway's; the intent is made once it is opened (or paid, in the sandbox)
    assert order["payment"]["pay_url"].endswith(f"/pay/{order['payment']['payment_no']}")
    assert db("SELECT count(*) AS n FROM payment.payments WHERE order_no = :o", o=order["order_no"]) == [{"n": 0}]
    assert db("SELECT outcome FROM risk.decisions WHERE order_no = :o", o=order["order_no"]) == [{"outcome": "approve"}]
    assert stock(api, sku) == 1
    assert pay(api, order).status_code == 200
    assert wait_status(api, order, "completed")["items"]


@pytest.fixture
def system(request, config, runner_factory, seeded):
    """The whole system, its runner kept (the door test looks at the gateway's shelf); with
    `slow_risk`, risk answers creation's RPC later than the order waits for it."""
    slow = "slow_risk" in request.keywords
    runner = start_system({**config, "RISK_ANSWER_S": 0.001} if slow else config, runner_factory)
    return {**config, "runner": runner}


@pytest.mark.slow_risk
def test_a_risk_answer_not_in_time_goes_on_by_events_and_takes_the_stock_once(api, admin, db):
    sku = card_product(admin, codes=3)
    created = buy(api, sku)
    assert created.status_code == 201, created.text
    order = created.json()
    wait_until(lambda: order_of(api, order)["payment"], message="the pay link, by events")
    asked = events_of(db, "order", order)
    assert "risk_assessment_requested" in asked and "stock_reservation_requested" in asked
    # one decision, one reservation: the catalog's repeat answered as held, the stock taken once
    assert db("SELECT count(*) AS n FROM risk.decisions WHERE order_no = :o", o=order["order_no"]) == [{"n": 1}]
    assert stock(api, sku) == 2
    paying = {**order, "payment": order_of(api, order)["payment"]}
    assert pay(api, paying).status_code == 200
    wait_status(api, order, "completed")


def test_a_rejected_order_gives_its_reservation_back(api, admin, db):
    sku = card_product(admin, codes=1)
    entry = admin.post("/api/v1/admin/risk/blacklist", json={"kind": "contact", "value": "bad@example.com"})
    assert entry.status_code == 201, entry.text
    try:
        order = buy(api, sku, contact="bad@example.com").json()
        assert order["status"] == "rejected" and order["payment"] is None
        assert events_of(db, "order", order) == ["stock_release_requested"]
        wait_until(lambda: stock(api, sku) == 1, message="the stock back")
        assert buy(api, sku).status_code == 201
    finally:
        admin.delete(f"/api/v1/admin/risk/blacklist/{entry.json()['id']}")


def test_sold_out_is_answered_at_the_door_and_opens_again_when_stock_comes_back(system, api, admin, db):
    sku = card_product(admin, codes=1)
    first = buy(api, sku).json()
    assert_error(buy(api, sku), 409, "out_of_stock")  # the reservation said so, no order made
    assert db('SELECT count(*) AS n FROM "order".orders WHERE sku = :s', s=sku) == [{"n": 1}]
    # the catalog's hint (or its list, read every second) tells every gateway
    shelf = shelf_of(system)
    wait_until(lambda: shelf.sold_out(sku), message="the gateway to know the SKU is sold out")
    before, refused = db('SELECT count(*) AS n FROM "order".orders')[0]["n"], at_the_door(api)
    assert_error(buy(api, sku), 409, "out_of_stock")
    assert db('SELECT count(*) AS n FROM "order".orders')[0]["n"] == before  # not even asked
    assert at_the_door(api) == refused + 1
    cancelled = api.post(f"/api/v1/orders/{first['order_no']}/cancel", headers={"X-Order-Token": first["token"]})
    assert cancelled.status_code == 200
    wait_until(lambda: not shelf.sold_out(sku), message="the gateway to know it is back")
    assert buy(api, sku).status_code == 201


def shelf_of(system):
    (container,) = list(system["runner"].gateway.containers)
    (provider,) = [d for d in container.dependencies if isinstance(d, SoldOut)]
    return provider.shelf


def at_the_door(api):
    found = re.search(r"^kameng_orders_sold_out_at_door_total (\S+)$", api.get("/metrics").text, re.M)
    return float(found.group(1)) if found else 0.0

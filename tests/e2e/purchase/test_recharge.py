"""Direct recharge end to end (DESIGN §3): a recharge product bought and paid through the gateway
is handed to the suppliers (simulators: real HTTP servers); it completes, or, failing at every
supplier, is refunded; and an outcome the supplier cannot tell yet is never refunded on a timer
alone: the sweeper asks the supplier service and waits."""

import pytest

from services.common.testing import unique, wait_until
from services.order import saga
from tests.e2e.purchase.helpers import events_of, order_of, pay, wait_status
from tests.integration.supplier.recharging import FAST, add_supplier, sims  # noqa: F401 -- fixtures
from tools import supplier_sim


@pytest.fixture(scope="module")
def system_settings():
    return lambda config: {**FAST, "PUBLIC_URL": config["BASE_URL"]}  # suppliers call back through this gateway


def recharge_product(admin):
    sku = unique("RCH")
    body = {"sku": sku, "name": f"直充 {sku}", "category": "话费", "price": "49.80", "delivery": "recharge"}
    created = admin.post("/api/v1/admin/products", json=body)
    assert created.status_code == 201, created.text
    return sku


def buy_and_pay(api, sku):
    body = {
        "sku": sku,
        "quantity": 1,
        "contact": "buyer@example.com",
        "payment_channel": "sandbox",
        "recharge_account": "13800000000",
    }
    created = api.post("/api/v1/orders", json=body)
    assert created.status_code == 201, created.text
    order = created.json()
    assert pay(api, order).status_code == 200
    return order


def test_a_recharge_at_a_supplier_completes_the_order(api, admin, sims, engine, db):
    sim = sims()
    sku = recharge_product(admin)
    add_supplier(engine, sim, sku)
    order = buy_and_pay(api, sku)
    wait_status(api, order, "completed")
    assert [o["recharged"] for o in sim.orders().values()] == [1]


def test_a_recharge_failing_at_every_supplier_is_refunded(api, admin, sims, engine, db):
    first, second = sims(), sims()
    first.default(recharge="fail")
    second.default(recharge="fail_later")
    sku = recharge_product(admin)
    add_supplier(engine, first, sku, priority=1)
    add_supplier(engine, second, sku, priority=2)
    order = buy_and_pay(api, sku)
    wait_status(api, order, "refunded", timeout=30)
    assert "delivery_failed" in events_of(db, "delivery", order)
    assert len(first.orders()) == len(second.orders()) == 1


def test_an_unknown_outcome_is_never_refunded_on_a_timer_alone(api, admin, sims, engine, db, monkeypatch):
    sim = sims(hold_s=60.0)
    sim.script(recharge=["timeout"])  # taken, the answer held past our timeout ...
    sku = recharge_product(admin)
    add_supplier(engine, sim, sku)
    order = buy_and_pay(api, sku)
    wait_status(api, order, "delivering")
    wait_until(sim.orders, message="the supplier has the order")
    port = sim.server.server_address[1]
    sim.server.stop()  # ... and then the supplier is gone: neither the call nor a query can tell
    monkeypatch.setitem(saga.TIMEOUTS, "delivering", 0.2)  # the step's retries run out at once
    waited = saga.TIMEOUTS_HIT.labels("delivering", "wait")
    before = waited._value.get()
    wait_until(lambda: waited._value.get() >= before + 2, timeout=30, message="the sweeper asking twice")
    assert order_of(api, order)["status"] == "delivering"
    assert "refund_requested" not in events_of(db, "order", order)
    back = supplier_sim.serve("127.0.0.1", port)  # back, without the order: a definite "not found"
    try:
        wait_status(api, order, "refunded", timeout=30)
    finally:
        back.stop()

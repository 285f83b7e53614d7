"""A recharge_failed ticket shows support the supplier attempts (issue 21): which supplier, the
outcome, the supplier's order id, when -- the supplier service's read of its own records."""

import pytest

from tests.e2e.helpers import start_system
from tests.e2e.purchase.helpers import wait_status
from tests.e2e.purchase.test_recharge import buy_and_pay, recharge_product
from tests.e2e.support.test_shortcuts import STAFF, open_ticket
from tests.integration.supplier.recharging import FAST, add_supplier, sims  # noqa: F401 -- fixtures


@pytest.fixture
def system(config, runner_factory, seeded):
    config.update(FAST, PUBLIC_URL=config["BASE_URL"])
    start_system(config, runner_factory)
    return config


def test_a_recharge_ticket_shows_the_supplier_attempts(api, admin, sims, engine):
    first, second = sims(), sims()
    first.default(recharge="fail")
    second.default(recharge="fail")
    sku = recharge_product(admin)
    first_id = add_supplier(engine, first, sku, priority=1)
    second_id = add_supplier(engine, second, sku, priority=2)
    order = buy_and_pay(api, sku)
    wait_status(api, order, "refunded", timeout=30)
    ticket_id = open_ticket(api, order, "recharge_failed")
    seen = admin.get(STAFF + ticket_id)
    assert seen.status_code == 200, seen.text
    attempts = seen.json()["attempts"]
    assert [(a["seq"], a["outcome"]) for a in attempts] == [(1, "failed"), (2, "failed")]
    assert [a["supplier_id"] for a in attempts] == [first_id, second_id]
    assert all(a["supplier"] and a["started_at"] and a["finished_at"] for a in attempts)
    assert "delivery" not in seen.json()

"""Helpers shared by the payment end-to-end tests."""

from services.common.testing import wait_until
from tests.e2e.helpers import opened
from tests.e2e.purchase.helpers import card_product


def buy_epay(api, admin, epay, price="9.90"):
    sku = card_product(admin, codes=3, price=price)
    created = api.post(
        "/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "buyer@example.com", "payment_channel": "epay"}
    )
    assert created.status_code == 201, created.text
    order = opened(api, created.json())  # the gateway's pay link: redirected to epay's cashier
    assert order["status"] == "awaiting_payment", order
    epay.open_pay_url(order["payment"]["pay_url"])  # the buyer's browser at epay's cashier
    return order


def payment_row(db, order):
    return db("SELECT * FROM payment.payments WHERE payment_no = :p", p=order["payment"]["payment_no"])[0]


def notifications(db, order):
    return db(
        "SELECT * FROM payment.notifications WHERE payment_no = :p OR raw::text LIKE :like ORDER BY id",
        p=order["payment"]["payment_no"],
        like=f"%{order['payment']['payment_no']}%",
    )


def next_pass(db, order):
    """Returns once reconciliation claims the order's payment again, so the pass that last claimed
    it is over: nameko's timer starts a pass only after the one before has ended, and a pass claims
    its payments (their last_checked_at) before it checks them."""
    last = payment_row(db, order)["last_checked_at"]
    wait_until(lambda: payment_row(db, order)["last_checked_at"] != last, message="the next reconciliation pass")

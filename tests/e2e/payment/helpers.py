"""Helpers shared by the payment end-to-end tests."""

import re

from services.common.testing import wait_until
from tests.e2e.helpers import opened
from tests.e2e.purchase.helpers import card_product, events_of, order_of, wait_status


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


def counter(api, outcome, channel="epay"):
    """The gateway-visible count of `channel`'s notifications with that outcome (/metrics)."""
    text = api.get("/metrics").text
    found = re.search(rf'kameng_payment_notifications_total{{channel="{channel}",outcome="{outcome}"}} (\S+)', text)
    return float(found.group(1)) if found else 0.0


def refused_and_nothing_changed(api, admin, epay, db, bad, method):
    """A bad notify (`bad(epay, payment_no)`, sent by `method`) for a paid-at-epay order answers
    `fail`, is stored and counted once, and changes nothing; the genuine one still pays after it.
    Both epay versions' bad-notify tables run through here."""
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    epay.pay(payment_no, notify=False)
    before = counter(api, "refused") + counter(api, "rejected")
    last = db("SELECT coalesce(max(id), 0) AS id FROM payment.notifications")[0]["id"]
    answer = epay.send(payment_no, bad(epay, payment_no), method)
    assert (answer.status_code, answer.text) == (200, "fail")
    assert "payment_succeeded" not in events_of(db, "payment", order)  # answered after its commit: nothing sent
    assert order_of(api, order)["status"] == "awaiting_payment"
    assert payment_row(db, order)["status"] == "pending"
    assert db("SELECT * FROM payment.journal WHERE payment_no = :p", p=payment_no) == []
    stored = db("SELECT * FROM payment.notifications WHERE id > :last", last=last)
    assert len(stored) == 1 and stored[0]["outcome"].split(":")[0] in ("refused", "rejected")
    assert counter(api, "refused") + counter(api, "rejected") == before + 1
    # and the genuine notify still pays it afterwards
    assert epay.send(payment_no, epay.notification(payment_no)).text == "success"
    wait_status(api, order, "completed")

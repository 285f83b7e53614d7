from tests.e2e.helpers import opened
from tests.e2e.purchase.helpers import order_of, wait_status


def place(api, sku, channel, quantity=1):
    """An order to pay through `channel`, awaiting payment, its pay link opened (the intent made
    with the channel)."""
    created = api.post(
        "/api/v1/orders",
        json={"sku": sku, "quantity": quantity, "contact": "buyer@example.com", "payment_channel": channel},
    )
    assert created.status_code == 201, created.text
    order = created.json()
    if order["status"] != "awaiting_payment":
        wait_status(api, order, "awaiting_payment")
    return opened(api, {**order_of(api, order), "token": order["token"]})


def payment_status(db, payment_no):
    return db("SELECT status FROM payment.payments WHERE payment_no = :p", p=payment_no)[0]["status"]


def journal(db, payment_no):
    return [
        (r["kind"], r["amount"])
        for r in db("SELECT kind, amount FROM payment.journal WHERE payment_no = :p ORDER BY id", p=payment_no)
    ]


def notifications(db, payment_no):
    return db("SELECT verified, outcome FROM payment.notifications WHERE payment_no = :p ORDER BY id", p=payment_no)


def last_notification(db):
    return db("SELECT coalesce(max(id), 0) AS id FROM payment.notifications")[0]["id"]

"""Helpers shared by the payment end-to-end tests."""
from tests.e2e.purchase.helpers import card_product


def buy_epay(api, admin, epay, price="9.90"):
    sku = card_product(admin, codes=3, price=price)
    created = api.post("/api/v1/orders", json={"sku": sku, "quantity": 1, "contact": "buyer@example.com",
                                                "payment_channel": "epay"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "awaiting_payment", order
    epay.open_pay_url(order["payment"]["pay_url"])          # the buyer's browser at epay's cashier
    return order


def payment_row(db, order):
    return db("SELECT * FROM payment.payments WHERE payment_no = :p", p=order["payment"]["payment_no"])[0]


def notifications(db, order):
    return db("SELECT * FROM payment.notifications WHERE payment_no = :p OR raw::text LIKE :like ORDER BY id",
              p=order["payment"]["payment_no"], like=f"%{order['payment']['payment_no']}%")

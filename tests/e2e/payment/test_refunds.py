"""Refunds through the epay double: partial and whole, idempotent per request, failures retried;
the journal records every movement and the order shows what happened."""

import pytest
from sqlalchemy import create_engine, text

from services.common.testing import wait_until
from tests.e2e.helpers import assert_error
from tests.e2e.payment.helpers import buy_epay, payment_row
from tests.e2e.purchase.helpers import order_of, wait_status


@pytest.fixture(scope="module")
def system_settings(system_settings):
    return lambda config: {**system_settings(config), "PAYMENT_REFUND_RETRY_S": 0.2}


def paid_order(api, admin, epay):
    order = buy_epay(api, admin, epay)
    assert epay.pay(order["payment"]["payment_no"]).text == "success"
    wait_status(api, order, "completed")
    return order


def refund(admin, order, key=None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    return admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json=body, headers=headers)


def journal(db, order):
    return [
        (j["kind"], j["amount"])
        for j in db("SELECT * FROM payment.journal WHERE payment_no = :p ORDER BY id", p=order["payment"]["payment_no"])
    ]


def test_partial_then_whole_refund(api, admin, epay, db):
    order = paid_order(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    first = refund(admin, order, key="k-1", amount="3.00", reason="one code was bad")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "completed"  # a partial refund leaves the order as it is
    assert body["refund"]["amount"] == "3.00" and body["refund"]["status"] == "refunded"
    again = refund(admin, order, key="k-1", amount="3.00", reason="one code was bad")
    assert again.json()["refund"]["refund_no"] == body["refund"]["refund_no"]  # the same request: once
    assert_error(refund(admin, order, key="k-1", amount="2.00"), 422, "idempotency_mismatch")
    assert_error(refund(admin, order, amount="7.00"), 409, "conflict")  # 6.90 is left
    assert list(epay.refunds.values()) == [300]
    assert payment_row(db, order)["refunded_amount"] == 300 and payment_row(db, order)["status"] == "paid"
    shown = admin.get(f"/api/v1/admin/orders/{order['order_no']}/payment").json()
    assert (shown["status"], shown["amount"], shown["refunded_amount"]) == ("paid", "9.90", "3.00")
    assert [(r["amount"], r["status"], r["whole"]) for r in shown["refunds"]] == [("3.00", "refunded", False)]
    assert [(n["outcome"], n["source"]) for n in shown["notifications"]] == [("paid", "notify")]

    whole = refund(admin, order, reason="buyer asked")  # no amount: the rest, and the order
    assert whole.status_code == 200 and whole.json()["refund"] is None
    assert wait_status(api, order, "refunded")["status"] == "refunded"
    assert sorted(epay.refunds.values()) == [300, 690]
    assert journal(db, order) == [("payment", 990), ("refund", -300), ("refund", -690)]
    row = payment_row(db, order)
    assert (row["status"], row["refunded_amount"]) == ("refunded", 990)
    assert_error(refund(admin, order, amount="0.01"), 409, "conflict")
    assert payment_no


def test_an_amount_equal_to_what_is_left_refunds_the_order(api, admin, epay, db):
    order = paid_order(api, admin, epay)
    assert refund(admin, order, amount="9.90").json()["refund"] is None
    wait_status(api, order, "refunded")
    assert journal(db, order) == [("payment", 990), ("refund", -990)]


def test_a_refused_refund_is_refund_failed_then_retried(api, admin, epay, db):
    order = paid_order(api, admin, epay)
    epay.refuse_refunds = True
    answer = refund(admin, order, key="k-2", amount="1.00").json()["refund"]
    assert answer["status"] == "refund_failed" and "余额不足" in answer["error"]
    assert journal(db, order) == [("payment", 990)]
    epay.refuse_refunds = False
    wait_until(
        lambda: (
            db("SELECT status FROM payment.refunds WHERE refund_no = :r", r=answer["refund_no"])[0]["status"]
            == "refunded"
        ),
        message="the retried refund",
    )
    assert journal(db, order) == [("payment", 990), ("refund", -100)]
    assert order_of(api, order)["status"] == "completed"


def test_the_orders_refund_takes_over_a_partial_refund_given_up(api, admin, epay, db, database_url):
    """A partial refund the channel refused for good waits for a person; the order's own refund
    that comes later gives back everything not refunded, that amount included."""
    order = paid_order(api, admin, epay)
    epay.refuse_refunds = True
    partial = refund(admin, order, key="k-3", amount="3.00").json()["refund"]
    assert partial["status"] == "refund_failed"
    engine = create_engine(database_url)
    with engine.begin() as conn:  # its tries used up: given up, left for a person
        conn.execute(
            text("UPDATE payment.refunds SET attempts = 8, next_try_at = NULL WHERE refund_no = :r"),
            {"r": partial["refund_no"]},
        )
    engine.dispose()
    epay.refuse_refunds = False
    assert refund(admin, order, reason="not delivered after all").status_code == 200
    wait_status(api, order, "refunded")
    assert journal(db, order) == [("payment", 990), ("refund", -990)]
    row = payment_row(db, order)
    assert (row["status"], row["refunded_amount"]) == ("refunded", 990)
    assert (
        db("SELECT status FROM payment.refunds WHERE refund_no = :r", r=partial["refund_no"])[0]["status"]
        == "superseded"
    )


def test_a_refund_while_the_channel_is_down_stays_refunding_and_is_asked_again(api, admin, epay, db):
    order = paid_order(api, admin, epay)
    epay.down = True
    answer = refund(admin, order).json()
    assert answer["status"] == "refunding"
    wait_until(
        lambda: [
            r
            for r in db("SELECT attempts FROM payment.refunds WHERE order_no = :o", o=order["order_no"])
            if r["attempts"] >= 2
        ],
        message="a second try",
    )
    assert order_of(api, order)["status"] == "refunding" and journal(db, order) == [("payment", 990)]
    epay.down = False
    wait_status(api, order, "refunded")
    assert journal(db, order) == [("payment", 990), ("refund", -990)] and list(epay.refunds.values()) == [990]


@pytest.mark.parametrize("amount", ["-1.00", "0.00", 5, "1.001", "99999999999999.00"])
def test_bad_refund_amounts_are_400_or_409_and_change_nothing(api, admin, epay, db, amount):
    order = paid_order(api, admin, epay)
    answer = refund(admin, order, amount=amount)
    assert answer.status_code in (400, 409), answer.text
    assert journal(db, order) == [("payment", 990)] and epay.refunds == {}


def test_replaying_a_half_refund_does_not_refund_the_other_half(api, admin, epay, db):
    """After 4.95 of 9.90, a replay of the same request asks for exactly what is left: it is
    still the same partial refund, not the order's whole refund."""
    order = paid_order(api, admin, epay)
    first = refund(admin, order, key="half", amount="4.95").json()
    again = refund(admin, order, key="half", amount="4.95").json()
    assert again["refund"]["refund_no"] == first["refund"]["refund_no"] and again["status"] == "completed"
    assert journal(db, order) == [("payment", 990), ("refund", -495)] and list(epay.refunds.values()) == [495]

"""Reconciliation: a payment whose notify never arrived is found by asking the channel and
settled through the same path; a channel's disagreement is refused and reported."""

import pytest

from services.common.testing import wait_until
from tests.e2e.payment.helpers import buy_epay, next_pass, notifications, payment_row
from tests.e2e.purchase.helpers import order_of, wait_status


@pytest.fixture(scope="module")
def system_settings(system_settings):
    return lambda config: {**system_settings(config), "PAYMENT_RECONCILE_AFTER_S": 0, "PAYMENT_RECONCILE_EVERY_S": 0.5}


def report(admin):
    answer = admin.get("/api/v1/admin/payments/reconciliation", params={"days": 1})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_paid_payment_whose_notify_never_came_is_settled_by_reconciliation(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    wait_until(lambda: epay.asked[payment_no], message="reconciliation to ask epay about it")
    next_pass(db, order)  # the pass that asked is over
    assert payment_row(db, order)["status"] == "pending"
    assert order_of(api, order)["status"] == "awaiting_payment"  # asked, but not paid yet
    epay.pay(payment_no, notify=False)  # paid; the notify is lost
    wait_status(api, order, "completed")
    assert [n["outcome"] for n in notifications(db, order)] == ["paid"]
    assert notifications(db, order)[0]["raw"]["source"] == "reconciliation"
    found = [i for i in report(admin)["items"] if i["payment_no"] == payment_no]
    assert found == [
        {
            **found[0],
            "kind": "settled_by_reconciliation",
            "order_no": order["order_no"],
            "amount": "9.90",
            "channel": "epay",
        }
    ]
    assert epay.send(payment_no, epay.notification(payment_no)).text == "success"  # the late notify: a repeat
    assert len(db("SELECT * FROM payment.journal WHERE payment_no = :p", p=payment_no)) == 1


def test_a_channel_reporting_another_amount_is_refused_and_reported(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    payment_no = order["payment"]["payment_no"]
    epay.orders[payment_no]["fields"]["money"] = "9.80"  # epay says 9.80 arrived
    epay.pay(payment_no, notify=False)
    wait_until(lambda: notifications(db, order), message="reconciliation to ask")
    assert payment_row(db, order)["status"] == "pending" and order_of(api, order)["status"] == "awaiting_payment"
    found = [i for i in report(admin)["items"] if i["payment_no"] == payment_no]
    assert found[0]["kind"] == "rejected_payment" and "amount differs" in found[0]["detail"]


def test_reconciliation_survives_the_channel_being_down(api, admin, epay, db):
    epay.down = True
    order = buy_epay(api, admin, epay)
    epay.pay(order["payment"]["payment_no"], notify=False)
    wait_until(lambda: epay.asked[order["payment"]["payment_no"]], message="reconciliation to ask epay about it")
    next_pass(db, order)  # the pass that asked is over
    assert payment_row(db, order)["status"] == "pending"
    assert order_of(api, order)["status"] == "awaiting_payment"
    epay.down = False
    wait_status(api, order, "completed")


def test_the_report_is_admin_only(api):
    assert api.get("/api/v1/admin/payments/reconciliation").status_code == 401

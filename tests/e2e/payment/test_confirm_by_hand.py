"""A payment confirmed by hand (issue 24): the channel's money arrived, its notification never
came and reconciliation cannot see it (it does not look within these tests). The finance role
settles it through the notification's own path: the order is paid and delivered once, and the
notification that comes after changes nothing."""

from services.common.testing import wait_until
from tests.e2e.account.helpers import csrf_header
from tests.e2e.helpers import Api, admin_session, assert_error, csrf_of
from tests.e2e.payment.helpers import buy_epay, notifications, payment_row
from tests.e2e.purchase.helpers import order_of, wait_status


def confirm(admin, order, **body):
    body = {"trade_no": "EPAY-T-1", "reason": "money seen in the epay merchant console", **body}
    return admin.post(f"/api/v1/admin/orders/{order['order_no']}/payment/confirm", json=body)


def test_confirmed_by_hand_the_order_is_delivered_once_and_the_late_notification_is_a_repeat(api, admin, epay, db):
    order = buy_epay(api, admin, epay)
    confirmed = confirm(admin, order)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "paid" and confirmed.json()["channel_trade_no"] == "EPAY-T-1"
    assert [n["source"] for n in confirmed.json()["notifications"]] == ["by_hand"]
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 1

    assert_error(confirm(admin, order), 409, "conflict")  # settled: once is all
    assert epay.pay(order["payment"]["payment_no"]).text == "success"  # the notification, at last
    wait_until(lambda: len(notifications(db, order)) == 2, message="the late notification recorded")
    outcomes = [n["outcome"] for n in notifications(db, order)]
    assert outcomes == ["paid", "repeat"], outcomes
    assert payment_row(db, order)["channel_trade_no"] == "EPAY-T-1"  # the hand's record stands
    assert payment_row(db, order)["status"] == "paid"
    assert db("SELECT count(*) AS n FROM payment.journal WHERE order_no = :o", o=order["order_no"])[0]["n"] == 1
    again = order_of(api, order)
    assert again["status"] == "completed" and again["items"] == done["items"]  # delivered once
    assert db("SELECT count(*) AS n FROM catalog.codes WHERE order_no = :o", o=order["order_no"])[0]["n"] == 1
    [row] = db(
        "SELECT actor, data FROM payment.audit WHERE action = 'payment.confirm_by_hand' AND subject = :o",
        o=order["order_no"],
    )
    assert row["data"]["reason"] == "money seen in the epay merchant console" and row["data"]["trade_no"] == "EPAY-T-1"


def test_what_cannot_be_confirmed(api, admin, epay):
    order = buy_epay(api, admin, epay)
    assert_error(confirm(admin, {"order_no": "K-no-such-order"}), 404, "not_found")
    assert_error(confirm(admin, order, reason=""), 400, "validation_error")
    assert_error(confirm(admin, order, trade_no="x" * 65), 400, "validation_error")
    assert_error(confirm(admin, order, amount="9.90"), 400, "validation_error")  # unknown field
    other = buy_epay(api, admin, epay)
    assert confirm(admin, other, trade_no="EPAY-T-2").status_code == 200
    assert_error(confirm(admin, order, trade_no="EPAY-T-2"), 409, "conflict")  # one trade pays one payment
    assert order_of(api, order)["status"] == "awaiting_payment"  # nothing half-written


def test_only_the_money_roles_confirm(api, admin, epay, system):
    order = buy_epay(api, admin, epay)
    with Api(system["BASE_URL"]) as support:
        admin_session(support, "support")
        refused = support.post(
            f"/api/v1/admin/orders/{order['order_no']}/payment/confirm",
            json={"trade_no": "EPAY-T-3", "reason": "trust me"},
            headers=csrf_header(support),
        )
        assert_error(refused, 403, "forbidden")
    with Api(system["BASE_URL"]) as finance:
        admin_session(finance, "finance")
        allowed = finance.post(
            f"/api/v1/admin/orders/{order['order_no']}/payment/confirm",
            json={"trade_no": "EPAY-T-3", "reason": "seen in the merchant console"},
            headers=csrf_header(finance),
        )
        assert allowed.status_code == 200, allowed.text
    wait_status(api, order, "completed")


def test_from_the_console_order_page(api, admin, epay, system):
    order = buy_epay(api, admin, epay)
    url = f"/admin/orders/{order['order_no']}"
    with Api(system["BASE_URL"]) as support:
        admin_session(support, "support")
        assert 'id="confirm-payment"' not in support.get(url).text  # not a money role: no form
    with Api(system["BASE_URL"]) as finance:
        admin_session(finance, "finance")
        page = finance.get(url)
        assert 'id="confirm-payment"' in page.text
        form = {"trade_no": "EPAY-PAGE-1", "reason": "seen in the merchant console", "csrf": csrf_of(page)}
        assert finance.post(f"{url}/payment/confirm", data={**form, "csrf": "forged"}).status_code == 403
        missing = finance.post(f"{url}/payment/confirm", data={**form, "reason": ""})
        assert missing.status_code == 400 and order_of(api, order)["status"] == "awaiting_payment"
        done = finance.post(f"{url}/payment/confirm", data=form)
        assert done.status_code == 200 and "alert-ok" in done.text, done.text
        wait_status(api, order, "completed")
        again = finance.post(f"{url}/payment/confirm", data={**form, "csrf": csrf_of(finance.get(url))})
        assert again.status_code == 409 and "alert-error" in again.text
        assert 'id="confirm-payment"' not in finance.get(url).text  # paid: nothing left to confirm

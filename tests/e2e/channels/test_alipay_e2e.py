"""Alipay end to end through the real broker and database: our signed redirect -> the Alipay
double's cashier -> its signed async notify to our gateway -> paid -> delivered; every forged,
tampered or foreign notify refused with nothing changed."""

import eventlet
import requests
from alipay import AliPay

from tests.doubles.keys import private_pem, public_pem, rsa_key
from tests.e2e.channels.helpers import journal, last_notification, notifications, payment_status, place
from tests.e2e.purchase.helpers import card_product, order_of, wait_status


def test_redirect_notify_paid_delivered_and_a_repeat_changes_nothing(api, admin, alipay_double, db):
    sku = card_product(admin, codes=2)
    order = place(api, sku, "alipay")
    payment_no, pay_url = order["payment"]["payment_no"], order["payment"]["pay_url"]
    assert pay_url.startswith(alipay_double.url + "/gateway.do?")
    assert requests.get(pay_url, timeout=5).status_code == 200  # the double checked our RSA2 signature
    assert alipay_double.pay(payment_no) == (200, "success")
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 1 and done["items"][0]["code"].startswith(sku)
    for subject in ("x", "王者荣耀 点券 60 & more=1", "月卡+周卡"):  # Alipay retries: always "success"
        assert alipay_double.send_notify(alipay_double.notify_params(payment_no, subject=subject)) == (200, "success")
    assert journal(db, payment_no) == [("payment", 990)]
    assert [n["outcome"] for n in notifications(db, payment_no)] == ["paid", "repeat", "repeat", "repeat"]


def test_every_bad_notify_is_refused_and_changes_nothing(api, admin, alipay_double, alipay_party, db):
    sku = card_product(admin, codes=2)
    a, b = place(api, sku, "alipay"), place(api, sku, "alipay")
    pa, pb = a["payment"]["payment_no"], b["payment"]["payment_no"]
    for order in (a, b):
        requests.get(order["payment"]["pay_url"], timeout=5)
    alipay_double.trades[pa]["status"] = "TRADE_SUCCESS"  # paid at Alipay, notify not yet sent
    params = alipay_double.notify_params

    forged = {**params(pa), "total_amount": "0.01"}  # changed after signing
    replayed = {**params(pa), "out_trade_no": pb}  # A's valid notify moved onto order B
    downgraded = {**params(pa), "sign_type": "RSA"}
    unsigned = {k: v for k, v in params(pa).items() if k != "sign"}
    genuine_sdk, alipay_double.sdk = (
        alipay_double.sdk,
        AliPay(
            appid=alipay_party.app_id,
            app_private_key_string=private_pem(rsa_key()),
            alipay_public_key_string=public_pem(alipay_party.app_key),
        ),
    )
    wrong_key = params(pa)
    alipay_double.sdk = genuine_sdk
    bad = [
        forged,
        replayed,
        downgraded,
        unsigned,
        wrong_key,
        params(pa, seller_id=None),
        params(pa, total_amount=None),
        params(pa, out_trade_no=None),
        params(pa, app_id="2021000000009999"),
        params(pa, seller_id="2088000000009999"),
        params(pa, trade_status="TRADE_PENDING"),
        params(pa, total_amount="9.91"),
        params(pa, total_amount="9.89"),
    ]  # signed, amount more / less
    notify_url = api.base_url + "/api/v1/payments/alipay/notify"
    seen = last_notification(db)
    assert [alipay_double.send_notify(p, url=notify_url) for p in bad] == [(200, "failure")] * len(bad)

    assert order_of(api, a)["status"] == order_of(api, b)["status"] == "awaiting_payment"
    assert payment_status(db, pa) == payment_status(db, pb) == "pending"
    assert journal(db, pa) == journal(db, pb) == []
    stored = db("SELECT verified, outcome FROM payment.notifications WHERE id > :seen", seen=seen)
    assert len(stored) == len(bad) and not any(n["outcome"] in ("paid", "repeat") for n in stored)
    closed = params(pb, trade_status="TRADE_CLOSED")  # authentic, but no money:
    assert alipay_double.send_notify(closed, url=notify_url) == (200, "success")  # acknowledged, nothing changes
    assert payment_status(db, pb) == "pending" and journal(db, pb) == []
    assert [n["outcome"] for n in notifications(db, pb)] == ["ignored: not paid"]
    assert alipay_double.pay(pa) == (200, "success")  # the genuine one still goes through
    wait_status(api, a, "completed")
    assert order_of(api, b)["status"] == "awaiting_payment"


def test_concurrent_identical_notifies_pay_once(api, admin, alipay_double, db):
    order = place(api, card_product(admin, codes=1), "alipay")
    payment_no = order["payment"]["payment_no"]
    requests.get(order["payment"]["pay_url"], timeout=5)
    alipay_double.trades[payment_no]["status"] = "TRADE_SUCCESS"
    notice = alipay_double.notify_params(payment_no)
    pool = eventlet.GreenPool(20)
    answers = list(pool.imap(lambda _: alipay_double.send_notify(dict(notice)), range(20)))
    assert answers == [(200, "success")] * 20
    wait_status(api, order, "completed")
    assert journal(db, payment_no) == [("payment", 990)]
    outcomes = [n["outcome"] for n in notifications(db, payment_no)]
    assert outcomes.count("paid") == 1 and outcomes.count("repeat") == 19

"""WeChat Pay v3 end to end through the real broker and database: a Native order at the WeChat
double (its code_url kept as the payment's QR code) -> the double's signed, encrypted notify to our
gateway -> paid -> delivered; every forged, stale, foreign or tampered notify refused with nothing
changed."""

import json
import time

import requests

from tests.doubles.keys import rsa_key
from tests.e2e.channels.helpers import journal, last_notification, notifications, payment_status, place
from tests.e2e.purchase.helpers import card_product, order_of, wait_status


def test_qr_notify_paid_delivered_and_a_repeat_changes_nothing(api, admin, wechat_double, db):
    sku = card_product(admin, codes=2)
    order = place(api, sku, "wechat")
    payment_no = order["payment"]["payment_no"]
    assert order["payment"]["pay_url"] == f"{api.base_url}/pay/{payment_no}"
    row = db("SELECT qr_code FROM payment.payments WHERE payment_no = :p", p=payment_no)[0]
    assert row["qr_code"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert row["qr_code"] in requests.get(order["payment"]["pay_url"], timeout=5).text  # the pay page shows it
    assert wechat_double.trades[payment_no]["total"] == 990  # the double checked our Authorization
    assert wechat_double.pay(payment_no) == (204, "")
    done = wait_status(api, order, "completed")
    assert len(done["items"]) == 1 and done["items"][0]["code"].startswith(sku)
    for _ in range(2):  # WeChat retries: always accepted
        assert wechat_double.send_notify(*wechat_double.notify(payment_no), url=notify_url(api)) == (204, "")
    assert journal(db, payment_no) == [("payment", 990)]
    assert [n["outcome"] for n in notifications(db, payment_no)] == ["paid", "repeat", "repeat"]


def notify_url(api):
    return api.base_url + "/api/v1/payments/wechat/notify"


def test_every_bad_notify_is_refused_and_changes_nothing(api, admin, wechat_double, db):
    sku = card_product(admin, codes=2)
    a, b = place(api, sku, "wechat"), place(api, sku, "wechat")
    pa, pb = a["payment"]["payment_no"], b["payment"]["payment_no"]
    wechat_double.trades[pa]["state"] = "SUCCESS"  # paid at WeChat, notify not yet sent
    notify = wechat_double.notify
    headers_a, body_a = notify(pa)
    _, body_b = notify(pb)
    forged = (headers_a, body_a.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" '))
    replayed = (headers_a, body_b)  # A's valid signature on B's body
    bad = [
        forged,
        replayed,
        notify(pa, key=rsa_key()),  # signed with another key
        notify(pa, serial="1DB2E2C4B3A1F0E9D8C7B6A5F4E3D2C1B0A99999"),
        notify(pa, timestamp=int(time.time()) - 600),  # stale
        notify(pa, apiv3_key="0" * 32),  # encrypted under another v3 key
        notify(pa, mchid="1900000999"),
        notify(pa, appid="wx0000000000000000"),
        notify(pa, trade_state="NOTPAY"),
        notify(pa, out_trade_no=None),
        notify(pa, amount={"total": 991, "currency": "CNY"}),  # signed, amount more
        notify(pa, amount={"total": 989, "currency": "CNY"}),  # and less
        ({k: v for k, v in headers_a.items() if k != "Wechatpay-Signature"}, body_a),
    ]
    seen = last_notification(db)
    answers = [requests.post(notify_url(api), data=body.encode(), headers=headers, timeout=10) for headers, body in bad]
    assert [a.status_code for a in answers] == [400] * len(bad)
    assert all(json.loads(a.text)["code"] == "FAIL" for a in answers)

    assert order_of(api, a)["status"] == order_of(api, b)["status"] == "awaiting_payment"
    assert payment_status(db, pa) == payment_status(db, pb) == "pending"
    assert journal(db, pa) == journal(db, pb) == []
    stored = db("SELECT outcome FROM payment.notifications WHERE id > :seen", seen=seen)
    assert len(stored) == len(bad) and not any(n["outcome"] in ("paid", "repeat") for n in stored)
    assert wechat_double.pay(pa) == (204, "")  # the genuine one still goes through
    wait_status(api, a, "completed")
    assert order_of(api, b)["status"] == "awaiting_payment"


def test_a_busy_platform_when_the_link_is_opened_is_asked_again_with_the_same_number(api, admin, wechat_double, db):
    wechat_double.busy = 4  # more than the Http helper's own retries: the buyer's page says try again
    created = api.post(
        "/api/v1/orders",
        json={
            "sku": card_product(admin, codes=1),
            "quantity": 1,
            "contact": "b@example.com",
            "payment_channel": "wechat",
        },
    )
    assert created.status_code == 201, created.text
    order = created.json()
    link, payment_no = "/" + order["payment"]["pay_url"].split("/", 3)[3], order["payment"]["payment_no"]
    assert api.get(link).status_code == 503
    assert payment_status(db, payment_no) == "creating"  # kept, its lease given back
    page = api.get(link)  # opened again: the same payment number offered again, one trade
    assert page.status_code == 200, page.text
    row = db("SELECT qr_code FROM payment.payments WHERE payment_no = :p", p=payment_no)[0]
    assert wechat_double.busy == 0 and list(wechat_double.trades) == [payment_no] and row["qr_code"] in page.text
    assert wechat_double.pay(payment_no) == (204, "")
    wait_status(api, order, "completed")

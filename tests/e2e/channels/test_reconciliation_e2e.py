"""Reconciliation through Alipay and WeChat Pay: a payment whose notify never arrived is found by
asking the channel (alipay.trade.query, /v3/pay/transactions/out-trade-no) and settled through the
one settle path; the late notify is then a repeat."""

import pytest
import requests

from services.common.testing import wait_until
from tests.e2e.channels.helpers import journal, notifications, place
from tests.e2e.purchase.helpers import card_product, order_of, wait_status


@pytest.fixture
def channels_config(channels_config):
    channels_config.update(PAYMENT_RECONCILE_AFTER_S=0, PAYMENT_RECONCILE_EVERY_S=0.3)
    return channels_config


def test_alipay_payment_without_notify_is_settled_by_query(api, admin, alipay_double, db):
    order = place(api, card_product(admin, codes=1), "alipay")
    payment_no = order["payment"]["payment_no"]
    wait_until(lambda: alipay_double.calls.count("alipay.trade.query") >= 1, message="a query before the cashier")
    assert order_of(api, order)["status"] == "awaiting_payment"  # Alipay does not know the trade yet
    requests.get(order["payment"]["pay_url"], timeout=5)
    wait_until(lambda: alipay_double.calls.count("alipay.trade.query") >= 3, message="queries of an unpaid trade")
    assert order_of(api, order)["status"] == "awaiting_payment"
    alipay_double.pay(payment_no, notify=False)  # paid; the notify is lost
    wait_status(api, order, "completed")
    assert [
        n["raw"]["source"] for n in db("SELECT raw FROM payment.notifications WHERE payment_no = :p", p=payment_no)
    ] == ["reconciliation"]
    assert alipay_double.send_notify(alipay_double.notify_params(payment_no)) == (200, "success")  # late: a repeat
    assert journal(db, payment_no) == [("payment", 990)]
    assert [n["outcome"] for n in notifications(db, payment_no)] == ["paid", "repeat"]


def test_wechat_payment_without_notify_is_settled_by_query(api, admin, wechat_double, db):
    order = place(api, card_product(admin, codes=1), "wechat")
    payment_no = order["payment"]["payment_no"]
    query = f"GET /v3/pay/transactions/out-trade-no/{payment_no}"
    wait_until(lambda: wechat_double.calls.count(query) >= 2, message="queries of an unpaid order")
    assert order_of(api, order)["status"] == "awaiting_payment"
    wechat_double.pay(payment_no, notify=False)
    wait_status(api, order, "completed")
    assert wechat_double.send_notify(
        *wechat_double.notify(payment_no), url=wechat_double.trades[payment_no]["notify_url"]
    ) == (204, "")
    assert journal(db, payment_no) == [("payment", 990)]
    assert [n["outcome"] for n in notifications(db, payment_no)] == ["paid", "repeat"]

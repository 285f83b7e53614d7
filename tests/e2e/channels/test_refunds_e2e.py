"""Refunds through Alipay and WeChat Pay (the framework's one refund path) against the doubles:
partial then whole, the channel asked with our refund number, the journal recording each movement;
a WeChat refund left PROCESSING is asked about again until it settles."""

import pytest
import requests

from services.common.testing import wait_until
from tests.e2e.channels.helpers import journal, place
from tests.e2e.purchase.helpers import card_product, order_of, wait_status


@pytest.fixture
def channels_config(channels_config):
    channels_config["PAYMENT_REFUND_RETRY_S"] = 0.2
    return channels_config


def paid(api, admin, channel, double):
    order = place(api, card_product(admin, codes=1), channel)
    if channel == "alipay":
        requests.get(order["payment"]["pay_url"], timeout=5)
    double.pay(order["payment"]["payment_no"])
    wait_status(api, order, "completed")
    return order


def refund(admin, order, **body):
    answer = admin.post(
        f"/api/v1/admin/orders/{order['order_no']}/refund",
        json=body,
        headers={"Idempotency-Key": body.get("reason", "whole")},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_alipay_partial_then_whole(api, admin, alipay_double, db):
    order = paid(api, admin, "alipay", alipay_double)
    payment_no = order["payment"]["payment_no"]
    assert refund(admin, order, amount="3.00", reason="one code was bad")["status"] == "completed"
    wait_until(lambda: journal(db, payment_no) == [("payment", 990), ("refund", -300)], message="partial refund")
    assert refund(admin, order, reason="buyer cancelled")
    wait_status(api, order, "refunded")
    assert journal(db, payment_no) == [("payment", 990), ("refund", -300), ("refund", -690)]
    trade = alipay_double.trades[payment_no]
    assert sorted(trade["refunds"].values()) == [300, 690] and trade["status"] == "TRADE_CLOSED"


def test_wechat_partial_pending_then_settled(api, admin, wechat_double, db):
    order = paid(api, admin, "wechat", wechat_double)
    payment_no = order["payment"]["payment_no"]
    wechat_double.refund_status = "PROCESSING"
    refund(admin, order, amount="2.00", reason="partial")
    wait_until(lambda: len(wechat_double.refunds) == 1, message="the refund asked for")
    ((refund_no, asked),) = wechat_double.refunds.items()
    assert asked["amount"]["refund"] == 200 and asked["out_trade_no"] == payment_no
    wait_until(
        lambda: wechat_double.calls.count(f"GET /v3/refund/domestic/refunds/{refund_no}") >= 2,
        message="a PROCESSING refund asked about again",
    )
    assert journal(db, payment_no) == [("payment", 990)]  # nothing moved while pending
    asked["status"] = "SUCCESS"
    wait_until(lambda: journal(db, payment_no) == [("payment", 990), ("refund", -200)], message="refund settled")
    assert len(wechat_double.refunds) == 1 and wechat_double.trades[payment_no]["refunded"] == 200
    assert order_of(api, order)["status"] == "completed"

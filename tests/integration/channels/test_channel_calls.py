"""Our Alipay and WeChat channels calling their doubles over real HTTP (pay, query, refund), and
the SDKs calling the same doubles: the doubles speak the wire format the SDKs expect."""

import json

import pytest
import requests
from alipay import AliPay
from wechatpayv3 import WeChatPay, WeChatPayType

from services.payment.channels import ChannelError, Notice, Urls
from services.payment.channels.alipay import Alipay
from services.payment.channels.wechat import Wechat
from services.payment.models import Payment
from tests.doubles.keys import cert_pem, private_pem, public_pem, rsa_key, write

URLS = Urls("https://shop.test", "https://shop.test/api/v1/payments/x/notify", "https://shop.test/orders/O1")


def payment(no="P0001", amount=990):
    return Payment(payment_no=no, order_no="O" + no, channel="x", amount=amount, currency="CNY", status="pending")


@pytest.fixture
def ali(alipay_cfg):
    return Alipay(alipay_cfg)


@pytest.fixture
def wx(wechat_cfg):
    return Wechat(wechat_cfg)


def test_alipay_pay_url_opens_the_cashier_and_a_tampered_one_does_not(ali, alipay_double):
    url = ali.start_payment(payment(), URLS)["pay_url"]
    assert requests.get(url, timeout=5).status_code == 200
    assert alipay_double.trades["P0001"]["amount"] == 990
    assert alipay_double.trades["P0001"]["notify_url"] == URLS.notify_url
    tampered = url.replace("9.90", "0.01")
    assert tampered != url and requests.get(tampered, timeout=5).status_code == 400


def test_alipay_query_follows_the_trade(ali, alipay_double):
    p = payment()
    assert ali.query(p) is None  # Alipay has never heard of it
    requests.get(ali.start_payment(p, URLS)["pay_url"], timeout=5)
    assert ali.query(p) == Notice("P0001", 990, alipay_double.trades["P0001"]["trade_no"], paid=False)
    alipay_double.pay("P0001", notify=False)  # the callback never arrives
    assert ali.query(p) == Notice("P0001", 990, alipay_double.trades["P0001"]["trade_no"], paid=True)


def test_alipay_refunds_partial_idempotent_and_bounded(ali, alipay_double):
    p = payment()
    requests.get(ali.start_payment(p, URLS)["pay_url"], timeout=5)
    alipay_double.pay("P0001", notify=False)
    assert ali.refund(p, "R1", 250, "partial")["status"] == "refunded"
    assert ali.refund(p, "R1", 250, "partial")["status"] == "refunded"  # a retry: the same refund
    assert alipay_double.trades["P0001"]["refunds"] == {"R1": 250}
    assert ali.refund(p, "R2", 741, "too much") == {
        "status": "failed",
        "error": "alipay: ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    }
    assert ali.refund(p, "R3", 740, "rest")["status"] == "refunded"
    assert alipay_double.trades["P0001"]["status"] == "TRADE_CLOSED"


def test_alipay_answer_signed_by_another_key_is_not_believed(ali, alipay_double, alipay_party):
    requests.get(ali.start_payment(payment(), URLS)["pay_url"], timeout=5)
    alipay_double.pay("P0001", notify=False)
    alipay_double.sdk = AliPay(
        appid=alipay_party.app_id,
        app_private_key_string=private_pem(rsa_key()),
        alipay_public_key_string=public_pem(alipay_party.app_key),
    )
    with pytest.raises(ChannelError, match="signature"):
        ali.query(payment())
    with pytest.raises(ChannelError, match="signature"):
        ali.refund(payment(), "R1", 100, "")


def test_python_alipay_sdk_talks_to_the_double(alipay_double, alipay_party, ali):
    requests.get(ali.start_payment(payment(), URLS)["pay_url"], timeout=5)
    sdk = AliPay(
        appid=alipay_party.app_id,
        app_private_key_string=private_pem(alipay_party.app_key),
        alipay_public_key_string=public_pem(alipay_party.alipay_key),
    )
    sdk._gateway = alipay_double.url + "/gateway.do"
    assert sdk.api_alipay_trade_query(out_trade_no="P0001")["trade_status"] == "WAIT_BUYER_PAY"


def test_wechat_native_order_query_refund(wx, wechat_double):
    p = payment("P0002", 1990)
    started = wx.start_payment(p, URLS)
    assert started["qr_code"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert started["pay_url"] == "https://shop.test/pay/P0002"
    assert wechat_double.trades["P0002"]["total"] == 1990
    assert wx.query(p).paid is False
    assert wx.query(payment("P-unknown")) is None
    wechat_double.pay("P0002", notify=False)
    assert wx.query(p) == Notice("P0002", 1990, wechat_double.trades["P0002"]["transaction_id"], paid=True)
    assert wx.refund(p, "R1", 990, "partial")["status"] == "refunded"
    assert wx.refund(p, "R1", 990, "partial")["status"] == "refunded"  # a retry: the same refund
    assert wechat_double.trades["P0002"]["refunded"] == 990
    assert wx.refund(p, "R2", 1001, "too much") == {"status": "failed", "error": "wechat: PARAM_ERROR"}
    wechat_double.refund_status = "PROCESSING"
    assert wx.refund(p, "R3", 1000, "rest")["status"] == "pending"


def test_wechat_requests_signed_with_another_key_are_refused_by_the_double(wechat_cfg, wechat_double):
    from dataclasses import replace

    stranger = Wechat(replace(wechat_cfg, private_key=rsa_key()))
    with pytest.raises(ChannelError, match="order refused"):
        stranger.start_payment(payment("P0003"), URLS)
    assert "P0003" not in wechat_double.trades


def test_wechat_answer_signed_by_another_key_is_not_believed(wx, wechat_double, wechat_party):
    wx.start_payment(payment("P0004"), URLS)
    wechat_double.party = type(wechat_party)(**{**wechat_party.__dict__, "platform_key": rsa_key()})
    with pytest.raises(ChannelError, match="signature invalid"):
        wx.query(payment("P0004"))


def test_wechatpayv3_talks_to_the_double(wechat_double, wechat_party, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    write(certs, "platform.pem", cert_pem(wechat_party.platform_cert))
    sdk = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=wechat_party.mchid,
        private_key=private_pem(wechat_party.merchant_key),
        cert_serial_no=wechat_party.cert_serial,
        appid=wechat_party.appid,
        apiv3_key=wechat_party.apiv3_key,
        cert_dir=str(certs),
        notify_url="https://shop.test/n",
    )
    sdk._core._gate_way = wechat_double.url
    code, message = sdk.pay(description="card", out_trade_no="P0005", amount={"total": 990})
    assert code == 200 and json.loads(message)["code_url"].startswith("weixin://")
    code, message = sdk.query(out_trade_no="P0005")
    assert code == 200 and json.loads(message)["trade_state"] == "NOTPAY"

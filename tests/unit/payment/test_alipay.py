"""Alipay RSA2: our signing and verification against python-alipay-sdk, and every refusal."""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from alipay import AliPay

from services.payment.channels import Misconfigured, Notice, Refused, alipay
from tests.doubles.alipay import AlipayDouble
from tests.doubles.keys import private_pem, public_pem, rsa_key, write

NOW = datetime(2026, 11, 26, 6, 0, 0, tzinfo=UTC)


@pytest.fixture
def cfg(alipay_party, tmp_path):
    return alipay.load_config(alipay_party.settings(tmp_path, "https://openapi.alipay.test/gateway.do"))


@pytest.fixture
def app_sdk(alipay_party):
    """python-alipay-sdk in our seat: signs with the app key, verifies with Alipay's public key."""
    return AliPay(
        appid=alipay_party.app_id,
        app_private_key_string=private_pem(alipay_party.app_key),
        alipay_public_key_string=public_pem(alipay_party.alipay_key),
        sign_type="RSA2",
    )


@pytest.fixture
def alipay_side(alipay_party):
    """The double (not started): python-alipay-sdk in Alipay's seat, signing notifies and answers."""
    double = AlipayDouble(alipay_party)
    double.trades["P1"] = {
        "out_trade_no": "P1",
        "amount": 990,
        "subject": "card",
        "trade_no": "2026112622001",
        "status": "TRADE_SUCCESS",
        "notify_url": None,
        "refunds": {},
    }
    return double


def test_request_signature_is_byte_for_byte_the_sdks(cfg, app_sdk):
    biz = {"out_trade_no": "P1", "total_amount": "9.90", "subject": "月卡", "product_code": "FAST_INSTANT_TRADE_PAY"}
    params = alipay.signed_params(
        cfg, "alipay.trade.page.pay", biz, now=NOW, notify_url="https://shop.test/api/v1/payments/alipay/notify"
    )
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    sdk_signed = dict(parse_qsl(app_sdk.sign_data(dict(unsigned))))
    assert params["sign"] == sdk_signed["sign"]  # PKCS#1 v1.5 is deterministic: same string signed
    assert "sign_type" in unsigned  # requests sign sign_type too


def test_pay_url_carries_the_trade_in_fen_as_yuan(cfg):
    url = alipay.pay_url(cfg, "P1", 990, "月卡 x1", "https://shop.test/n", "https://shop.test/r", now=NOW)
    params = dict(parse_qsl(urlsplit(url).query))
    biz = json.loads(params["biz_content"])
    assert url.startswith(cfg.url + "?")
    assert (params["method"], params["sign_type"], params["timestamp"]) == (
        "alipay.trade.page.pay",
        "RSA2",
        "2026-11-26 14:00:00",
    )
    assert biz == {
        "out_trade_no": "P1",
        "total_amount": "9.90",
        "subject": "月卡 x1",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "timeout_express": "15m",
    }
    wap = dict(parse_qsl(urlsplit(alipay.pay_url(cfg, "P1", 1, "x", "https://n", wap=True)).query))
    assert wap["method"] == "alipay.trade.wap.pay" and json.loads(wap["biz_content"])["total_amount"] == "0.01"


def test_notify_signed_by_the_sdk_is_verified_and_the_sdk_agrees(cfg, app_sdk, alipay_side):
    params = alipay_side.notify_params("P1")
    assert alipay.verify_notify(cfg, params) == Notice("P1", 990, "2026112622001", paid=True)
    unsigned = {k: v for k, v in params.items() if k != "sign"}
    assert app_sdk.verify(unsigned, params["sign"])  # the SDK's own notify check says the same


@pytest.mark.parametrize("text, fen", [("0.01", 1), ("9.9", 990), ("100.00", 10000), ("12345678.99", 1234567899)])
def test_notify_amounts_become_integer_fen(cfg, alipay_side, text, fen):
    assert alipay.verify_notify(cfg, alipay_side.notify_params("P1", total_amount=text)).amount == fen


def test_forged_field_after_signing_is_refused(cfg, alipay_side):
    params = alipay_side.notify_params("P1")
    params["total_amount"] = "0.01"
    with pytest.raises(Refused, match="signature"):
        alipay.verify_notify(cfg, params)


def test_notify_signed_with_another_key_is_refused(cfg, alipay_party, alipay_side):
    stranger = AliPay(
        appid=alipay_party.app_id,
        app_private_key_string=private_pem(rsa_key()),
        alipay_public_key_string=public_pem(alipay_party.app_key),
    )
    alipay_side.sdk = stranger
    with pytest.raises(Refused, match="signature"):
        alipay.verify_notify(cfg, alipay_side.notify_params("P1"))


def test_sign_type_changed_is_refused(cfg, alipay_party, alipay_side):
    for sign_type in ("RSA", "", "MD5"):
        params = alipay_side.notify_params("P1")
        params["sign_type"] = sign_type
        with pytest.raises(Refused, match="sign_type"):
            alipay.verify_notify(cfg, params)
    params = alipay_side.notify_params("P1")
    del params["sign_type"]
    with pytest.raises(Refused, match="sign_type"):
        alipay.verify_notify(cfg, params)
    sha1 = AliPay(
        appid=alipay_party.app_id,
        app_private_key_string=private_pem(alipay_party.alipay_key),
        alipay_public_key_string=public_pem(alipay_party.app_key),
        sign_type="RSA",
    )
    alipay_side.sdk = sha1  # a genuine SHA-1 signature claiming RSA2
    with pytest.raises(Refused, match="signature"):
        alipay.verify_notify(cfg, alipay_side.notify_params("P1"))


@pytest.mark.parametrize("field", ["app_id", "seller_id", "out_trade_no", "trade_no", "total_amount", "trade_status"])
def test_missing_field_is_refused_even_when_signed(cfg, alipay_side, field):
    with pytest.raises(Refused, match=field):
        alipay.verify_notify(cfg, alipay_side.notify_params("P1", **{field: None}))


@pytest.mark.parametrize(
    "overrides, why",
    [
        ({"app_id": "2021000000000999"}, "another app"),
        ({"seller_id": "2088000000000999"}, "another seller"),
        ({"trade_status": "TRADE_PENDING"}, "trade_status"),
        ({"trade_status": "trade_success"}, "trade_status"),
        ({"total_amount": "9.999"}, "amount"),
        ({"total_amount": "-9.90"}, "amount"),
        ({"total_amount": "1e3"}, "amount"),
        ({"total_amount": "9,90"}, "amount"),
    ],
)
def test_signed_but_wrong_notify_is_refused(cfg, alipay_side, overrides, why):
    with pytest.raises(Refused, match=why):
        alipay.verify_notify(cfg, alipay_side.notify_params("P1", **overrides))


def test_trade_finished_counts_as_paid_and_closed_or_waiting_as_not(cfg, alipay_side):
    assert alipay.verify_notify(cfg, alipay_side.notify_params("P1", trade_status="TRADE_FINISHED")).paid
    for status in ("TRADE_CLOSED", "WAIT_BUYER_PAY"):
        assert alipay.verify_notify(cfg, alipay_side.notify_params("P1", trade_status=status)) == Notice(
            "P1", 990, "2026112622001", paid=False
        )


def test_notify_that_is_not_a_flat_form_is_refused(cfg):
    for raw in (None, [], {"sign": ["a"]}, "sign=x"):
        with pytest.raises(Refused):
            alipay.verify_notify(cfg, raw)


def test_signed_answer_is_verified_like_the_sdk_does(cfg, app_sdk, alipay_side):
    _, _, raw = alipay_side.answer("alipay_trade_query_response", alipay_side._query({"out_trade_no": "P1"}))
    assert alipay.parse_query(cfg, raw) == {
        "status": "paid",
        "payment_no": "P1",
        "trade_no": "2026112622001",
        "amount": 990,
    }
    assert app_sdk._verify_and_return_sync_response(raw, "alipay_trade_query_response")["total_amount"] == "9.90"


def test_tampered_or_unsigned_answer_is_refused(cfg, alipay_side):
    _, _, raw = alipay_side.answer("alipay_trade_query_response", alipay_side._query({"out_trade_no": "P1"}))
    with pytest.raises(Refused, match="signature"):
        alipay.parse_query(cfg, raw.replace("TRADE_SUCCESS", "TRADE_FINISHED"))
    _, _, unsigned = alipay_side.answer("alipay_trade_query_response", {"code": "10000"}, sign=False)
    with pytest.raises(Refused, match="signature"):
        alipay.parse_query(cfg, unsigned)
    with pytest.raises(Refused, match=r"isv\.invalid-app-id"):
        alipay.parse_query(cfg, '{"error_response":{"code":"40002","sub_code":"isv.invalid-app-id"}}')
    with pytest.raises(Refused, match="not JSON"):
        alipay.parse_query(cfg, "<html>bad gateway</html>")


def test_unknown_trade_and_refund_answers(cfg, alipay_side):
    _, _, raw = alipay_side.answer("alipay_trade_query_response", alipay_side._query({"out_trade_no": "nope"}))
    assert alipay.parse_query(cfg, raw)["status"] == "unknown"
    _, _, raw = alipay_side.answer(
        "alipay_trade_refund_response",
        alipay_side._refund({"out_trade_no": "P1", "refund_amount": "1.00", "out_request_no": "R1"}),
    )
    assert alipay.parse_refund(cfg, raw)["status"] == "refunded"
    _, _, raw = alipay_side.answer(
        "alipay_trade_refund_response",
        alipay_side._refund({"out_trade_no": "P1", "refund_amount": "9.00", "out_request_no": "R2"}),
    )
    assert alipay.parse_refund(cfg, raw) == {
        "status": "failed",
        "reason": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
        "trade_no": None,
    }


def test_response_node_is_cut_exactly_with_braces_and_quotes_in_strings():
    inner = '{"msg":"a}b{\\"c\\"}","n":{"x":1}}'
    raw = '{"alipay_trade_query_response":' + inner + ',"sign":"s"}'
    assert alipay.response_node(raw, "alipay_trade_query_response") == inner
    assert alipay.response_node(raw, "alipay_trade_refund_response") is None


def test_refund_request_is_idempotent_by_request_number(cfg):
    url, form = alipay.refund_request(cfg, "P1", 250, "R-1", reason="partial", now=NOW)
    assert url == cfg.url and form["method"] == "alipay.trade.refund"
    assert json.loads(form["biz_content"]) == {
        "out_trade_no": "P1",
        "refund_amount": "2.50",
        "out_request_no": "R-1",
        "refund_reason": "partial",
    }


def test_empty_or_bad_settings_refuse_to_start(alipay_party, tmp_path):
    good = alipay_party.settings(tmp_path, "https://openapi.alipay.test/gateway.do")
    for name in good:
        with pytest.raises(Misconfigured, match="is empty"):
            alipay.load_config({**good, name: ""})
    with pytest.raises(Misconfigured, match="cannot load"):
        alipay.load_config({**good, "ALIPAY_PRIVATE_KEY": str(tmp_path / "missing.pem")})
    with pytest.raises(Misconfigured, match="cannot load"):
        alipay.load_config({**good, "ALIPAY_PUBLIC_KEY": write(tmp_path, "junk.pem", "not a key")})


def test_only_a_posted_form_is_a_notify(cfg, alipay_side):
    channel = alipay.Alipay(cfg)
    params = alipay_side.notify_params("P1")
    assert channel.verify_notify({"method": "POST", "form": params}).paid
    with pytest.raises(Refused, match="not a POST"):
        channel.verify_notify({"method": "GET", "query": params, "form": {}})
    assert channel.reply(True) == (200, {"Content-Type": "text/plain; charset=utf-8"}, "success")
    assert channel.reply(False)[2] == "failure"

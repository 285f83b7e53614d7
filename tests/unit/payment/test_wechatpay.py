"""WeChat Pay v3: our request signing and notify handling against wechatpayv3, and every refusal."""

import json
import re
import time

import pytest
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import build_authorization, load_private_key

from services.payment.channels import Misconfigured, Notice, Refused, wechat as wechatpay
from tests.doubles.keys import cert_pem, certificate, private_pem, public_pem, rsa_key, serial_hex, write
from tests.doubles.wechat import WechatDouble


@pytest.fixture
def cfg(wechat_party, tmp_path):
    return wechatpay.load_config(wechat_party.settings(tmp_path, "https://api.mch.weixin.test"))


@pytest.fixture
def platform(wechat_party):
    """The double (not started) in the platform's seat, holding one NATIVE trade of 9.90."""
    double = WechatDouble(wechat_party)
    double.trades["P1"] = {
        "out_trade_no": "P1",
        "total": 990,
        "kind": "native",
        "transaction_id": "4200001",
        "state": "SUCCESS",
        "notify_url": None,
        "description": "card",
        "refunded": 0,
    }
    return double


@pytest.fixture
def sdk(wechat_party, tmp_path):
    """wechatpayv3 in our seat; the platform certificate given in cert_dir (no download)."""
    certs = tmp_path / "certs"
    certs.mkdir()
    write(certs, "platform.pem", cert_pem(wechat_party.platform_cert))
    return WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=wechat_party.mchid,
        private_key=private_pem(wechat_party.merchant_key),
        cert_serial_no=wechat_party.cert_serial,
        appid=wechat_party.appid,
        apiv3_key=wechat_party.apiv3_key,
        cert_dir=str(certs),
    )


def test_authorization_is_byte_for_byte_wechatpayv3s(cfg, wechat_party):
    body = json.dumps({"appid": wechat_party.appid, "amount": {"total": 990}})
    theirs = build_authorization(
        "/v3/pay/transactions/native",
        "POST",
        wechat_party.mchid,
        wechat_party.cert_serial,
        load_private_key(private_pem(wechat_party.merchant_key)),
        data=body,
    )
    fields = dict(re.findall(r'(\w+)="([^"]*)"', theirs))
    ours = wechatpay.authorization(
        cfg, "POST", "/v3/pay/transactions/native", body, timestamp=fields["timestamp"], nonce=fields["nonce_str"]
    )
    assert ours == theirs


def test_order_requests(cfg):
    method, path, body = wechatpay.order_request(cfg, "P1", 990, "月卡", "https://shop.test/n")
    assert (method, path) == ("POST", "/v3/pay/transactions/native")
    assert json.loads(body) == {
        "appid": cfg.appid,
        "mchid": cfg.mchid,
        "description": "月卡",
        "out_trade_no": "P1",
        "notify_url": "https://shop.test/n",
        "amount": {"total": 990, "currency": "CNY"},
    }
    _, path, body = wechatpay.order_request(cfg, "P1", 990, "月卡", "https://shop.test/n", client_ip="203.0.113.9")
    assert path == "/v3/pay/transactions/h5"
    assert json.loads(body)["scene_info"] == {"payer_client_ip": "203.0.113.9", "h5_info": {"type": "Wap"}}
    assert wechatpay.query_request(cfg, "P1") == ("GET", f"/v3/pay/transactions/out-trade-no/P1?mchid={cfg.mchid}", "")
    _, path, body = wechatpay.refund_request(cfg, "P1", "R1", 250, 990, "partial")
    assert path == "/v3/refund/domestic/refunds"
    assert json.loads(body) == {
        "out_trade_no": "P1",
        "out_refund_no": "R1",
        "reason": "partial",
        "amount": {"refund": 250, "total": 990, "currency": "CNY"},
    }


def test_notify_is_verified_and_decrypted_like_wechatpayv3_does(cfg, platform, sdk):
    headers, body = platform.notify("P1")
    assert wechatpay.verify_notify(cfg, headers, body) == Notice("P1", 990, "4200001", paid=True)
    theirs = sdk.callback(headers, body)
    assert theirs["resource"]["out_trade_no"] == "P1" and theirs["resource"]["amount"]["total"] == 990


def test_header_names_are_case_insensitive(cfg, platform):
    headers, body = platform.notify("P1")
    assert wechatpay.verify_notify(cfg, {k.lower(): v for k, v in headers.items()}, body).amount == 990


def test_forged_body_is_refused_by_both(cfg, platform, sdk):
    headers, body = platform.notify("P1")
    forged = body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ')
    with pytest.raises(Refused, match="signature invalid"):
        wechatpay.verify_notify(cfg, headers, forged)
    assert sdk.callback(headers, forged) is None


def test_signed_with_another_key_is_refused_by_both(cfg, platform, sdk):
    headers, body = platform.notify("P1", key=rsa_key())
    with pytest.raises(Refused, match="signature invalid"):
        wechatpay.verify_notify(cfg, headers, body)
    assert sdk.callback(headers, body) is None


def test_wrong_serial_is_refused(cfg, platform):
    headers, body = platform.notify("P1", serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
    with pytest.raises(Refused, match="serial"):
        wechatpay.verify_notify(cfg, headers, body)
    headers, body = platform.notify("P1", serial="not-hex")
    with pytest.raises(Refused, match="serial"):
        wechatpay.verify_notify(cfg, headers, body)


@pytest.mark.parametrize("skew", [-301, 301, -10_000])
def test_stale_or_future_timestamp_is_refused(cfg, platform, skew):
    headers, body = platform.notify("P1", timestamp=int(time.time()) + skew)
    with pytest.raises(Refused, match="timestamp"):
        wechatpay.verify_notify(cfg, headers, body)


def test_timestamp_within_five_minutes_is_accepted(cfg, platform):
    headers, body = platform.notify("P1", timestamp=int(time.time()) - 290)
    assert wechatpay.verify_notify(cfg, headers, body).payment_no == "P1"


@pytest.mark.parametrize(
    "header", ["Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial"]
)
def test_missing_signature_header_is_refused(cfg, platform, header):
    headers, body = platform.notify("P1")
    del headers[header]
    with pytest.raises(Refused, match="headers missing"):
        wechatpay.verify_notify(cfg, headers, body)


def test_other_signature_type_is_refused(cfg, platform):
    headers, body = platform.notify("P1")
    headers["Wechatpay-Signature-Type"] = "WECHATPAY2-SM2-WITH-SM3"
    with pytest.raises(Refused, match="signature type"):
        wechatpay.verify_notify(cfg, headers, body)


def test_resource_under_another_apiv3_key_does_not_decrypt(cfg, platform, sdk):
    headers, body = platform.notify("P1", apiv3_key="0" * 32)
    with pytest.raises(Refused, match="decrypt"):
        wechatpay.verify_notify(cfg, headers, body)
    assert sdk.callback(headers, body) is None


@pytest.mark.parametrize(
    "overrides, why",
    [
        ({"mchid": "1900000999"}, "another merchant"),
        ({"appid": "wx0000000000000000"}, "another app"),
        ({"trade_state": "NOTPAY"}, "trade_state"),
        ({"amount": {"total": 9.9, "currency": "CNY"}}, "integer"),
        ({"amount": {"total": "990", "currency": "CNY"}}, "integer"),
        ({"amount": {"total": True, "currency": "CNY"}}, "integer"),
        ({"amount": {"total": 990, "currency": "USD"}}, "CNY"),
        ({"out_trade_no": ""}, "out_trade_no missing"),
        ({"transaction_id": None}, "transaction_id missing"),
        ({"amount": None}, "amount missing"),
    ],
)
def test_signed_but_wrong_transaction_is_refused(cfg, platform, overrides, why):
    headers, body = platform.notify("P1", **overrides)
    with pytest.raises(Refused, match=why):
        wechatpay.verify_notify(cfg, headers, body)


def test_other_event_types_are_refused(cfg, platform):
    headers, body = platform.notify("P1")
    event = json.loads(body)
    event["event_type"] = "REFUND.SUCCESS"
    _, headers, body = platform.signed(200, json.dumps(event))
    with pytest.raises(Refused, match=r"TRANSACTION\.SUCCESS"):
        wechatpay.verify_notify(cfg, headers, body)


def test_signed_answers_are_verified_and_parsed(cfg, platform):
    status, headers, body = platform.signed(200, json.dumps(platform.transaction(platform.trades["P1"])))
    answer = wechatpay.verified_answer(cfg, status, headers, body)
    assert wechatpay.parse_query(answer) == {"status": "paid", "payment_no": "P1", "trade_no": "4200001", "amount": 990}
    with pytest.raises(Refused, match="signature invalid"):
        wechatpay.verified_answer(cfg, status, headers, body.replace("SUCCESS", "NOTPAY"))
    missing = wechatpay.verified_answer(cfg, 404, {}, '{"code": "ORDER_NOT_EXIST", "message": "x"}')
    assert wechatpay.parse_query(missing)["status"] == "unknown"
    with pytest.raises(Refused, match="SYSTEM_ERROR"):
        wechatpay.parse_query(wechatpay.verified_answer(cfg, 500, {}, '{"code": "SYSTEM_ERROR"}'))
    assert wechatpay.parse_refund({"status": "PROCESSING", "refund_id": "5030"})["status"] == "pending"
    assert wechatpay.parse_refund({"status": "ABNORMAL"}) == {
        "status": "failed",
        "reason": "ABNORMAL",
        "trade_no": None,
    }


def test_replies_follow_v3():
    assert wechatpay.reply(True) == (204, {}, "")
    status, _headers, body = wechatpay.reply(False, "signature invalid")
    assert status == 400 and json.loads(body) == {"code": "FAIL", "message": "signature invalid"}


def test_empty_or_bad_settings_refuse_to_start(wechat_party, tmp_path):
    good = wechat_party.settings(tmp_path, "https://api.mch.weixin.test")
    for name in good:
        with pytest.raises(Misconfigured, match="is empty"):
            wechatpay.load_config({**good, name: ""})
    with pytest.raises(Misconfigured, match="32 characters"):
        wechatpay.load_config({**good, "WECHAT_APIV3_KEY": "short"})
    with pytest.raises(Misconfigured, match="cannot load"):
        wechatpay.load_config({**good, "WECHAT_PLATFORM_CERT": write(tmp_path, "junk.pem", "junk")})
    with pytest.raises(Misconfigured, match="cannot load"):
        not_a_key = write(tmp_path, "cert.pem", cert_pem(certificate(rsa_key(), "x")))
        wechatpay.load_config({**good, "WECHAT_PRIVATE_KEY": not_a_key})


def test_a_stale_or_wrongly_certified_answer_is_not_believed(cfg, platform):
    body = json.dumps(platform.transaction(platform.trades["P1"]))
    status, headers, body = platform.signed(200, body, timestamp=int(time.time()) - 301)
    with pytest.raises(Refused, match="timestamp"):
        wechatpay.verified_answer(cfg, status, headers, body)
    status, headers, body = platform.signed(200, body, serial="ABCDEF")
    with pytest.raises(Refused, match="serial"):
        wechatpay.verified_answer(cfg, status, headers, body)


def test_the_channel_reads_the_raw_body_and_lower_case_headers(cfg, platform):
    channel = wechatpay.Wechat(cfg)
    headers, body = platform.notify("P1")
    request = {"method": "POST", "headers": {k.lower(): v for k, v in headers.items()}, "body": body.encode()}
    assert channel.verify_notify(request) == Notice("P1", 990, "4200001", paid=True)
    with pytest.raises(Refused, match="UTF-8"):
        channel.verify_notify({**request, "body": b"\xff" + body.encode()})


def test_a_second_platform_certificate_is_honoured_while_wechat_rotates(wechat_party, platform, tmp_path):
    new_key = rsa_key()
    new_cert = certificate(new_key, "Tenpay.com Root CA")
    settings = wechat_party.settings(tmp_path, "https://api.mch.weixin.test")
    both = wechatpay.load_config(
        {
            **settings,
            "WECHAT_PLATFORM_CERT": settings["WECHAT_PLATFORM_CERT"]
            + ", "
            + write(tmp_path, "new.pem", cert_pem(new_cert)),
        }
    )
    headers, body = platform.notify("P1", key=new_key, serial=serial_hex(new_cert))
    assert wechatpay.verify_notify(both, headers, body).paid
    assert wechatpay.verify_notify(both, *platform.notify("P1")).paid  # the old one still counts
    only_old = wechatpay.load_config(settings)
    with pytest.raises(Refused, match="serial"):
        wechatpay.verify_notify(only_old, headers, body)


def test_the_platform_public_key_mode(wechat_party, platform, tmp_path):
    settings = wechat_party.settings(tmp_path, "https://api.mch.weixin.test")
    key_path = write(tmp_path, "pub.pem", public_pem(wechat_party.platform_key))
    with pytest.raises(Misconfigured, match="PUBLIC_KEY_ID"):
        wechatpay.load_config({**settings, "WECHAT_PLATFORM_CERT": key_path})
    cfg = wechatpay.load_config(
        {**settings, "WECHAT_PLATFORM_CERT": key_path, "WECHAT_PUBLIC_KEY_ID": "PUB_KEY_ID_0114232806862025"}
    )
    assert wechatpay.verify_notify(cfg, *platform.notify("P1", serial="PUB_KEY_ID_0114232806862025")).paid
    with pytest.raises(Refused, match="serial"):
        wechatpay.verify_notify(cfg, *platform.notify("P1", serial="PUB_KEY_ID_0114232806869999"))
    with pytest.raises(Refused, match="serial"):  # a certificate serial: not configured
        wechatpay.verify_notify(cfg, *platform.notify("P1"))

"""The channel framework and epay's wire format, without servers."""

import hashlib
import io
import logging

import pytest

from services.common import logs
from services.common.config import nameko_config
from services.payment import channels
from services.payment.channels import epay

BASE = {**nameko_config(), "DATA_KEYS": ["k"], "SANDBOX_PAYMENTS": False}


def test_epay_sign_is_md5_of_sorted_non_empty_fields_without_sign_and_sign_type_then_the_key():
    fields = {
        "out_trade_no": "P1",
        "money": "9.90",
        "pid": "1001",
        "name": "",
        "sign": "x",
        "sign_type": "MD5",
        "trade_status": "TRADE_SUCCESS",
    }
    expected = hashlib.md5(b"money=9.90&out_trade_no=P1&pid=1001&trade_status=TRADE_SUCCESSKEY").hexdigest()
    assert epay.sign(fields, "KEY") == expected


def test_only_enabled_channels_are_built():
    assert channels.build(BASE) == {}
    assert set(channels.build({**BASE, "SANDBOX_PAYMENTS": True})) == {"sandbox"}
    built = channels.build(
        {**BASE, "PAYMENT_CHANNELS": ["epay"], "EPAY_PID": "1", "EPAY_KEY": "k", "EPAY_URL": "http://127.0.0.1:1/"}
    )
    assert set(built) == {"epay"} and built["epay"].url == "http://127.0.0.1:1"


@pytest.mark.parametrize("empty", ["EPAY_PID", "EPAY_KEY", "EPAY_URL"])
def test_an_enabled_channel_with_an_empty_setting_refuses_to_start(empty):
    config = {
        **BASE,
        "PAYMENT_CHANNELS": ["epay"],
        "EPAY_PID": "1",
        "EPAY_KEY": "k",
        "EPAY_URL": "http://x",
        empty: "  ",
    }
    with pytest.raises(channels.Misconfigured, match=f"KAMENG_{empty} is empty"):
        channels.build(config)


def test_an_unknown_channel_name_refuses_to_start():
    with pytest.raises(channels.Misconfigured, match="unknown payment channel"):
        channels.build({**BASE, "PAYMENT_CHANNELS": ["paypal"]})


def test_unreachable_channel_is_a_channel_error():
    http = channels.Http(connect_s=0.2, read_s=0.2, retries=1, backoff_s=0)
    with pytest.raises(channels.ChannelError):
        http.json("GET", "http://127.0.0.1:9/api.php")


def test_a_key_in_a_channel_url_is_not_logged_when_the_call_is_retried():
    """epay's order query carries the merchant key in its query string; urllib3 warns of each
    retry with the whole URL. The services' log setup keeps that out."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("urllib3").level
    try:
        logs.setup("INFO", stream)
        with pytest.raises(channels.ChannelError) as refused:
            channels.Http(connect_s=0.2, read_s=0.2, retries=2, backoff_s=0).json(
                "GET", "http://127.0.0.1:9/api.php?act=order&key=MERCHANT-SECRET"
            )
    finally:
        root.handlers[:], level, urllib3_level = saved
        root.setLevel(level)
        logging.getLogger("urllib3").setLevel(urllib3_level)
    assert "MERCHANT-SECRET" not in stream.getvalue() + str(refused.value)


def test_usdt_prices_round_up_to_micro_usdt():
    from types import SimpleNamespace

    from services.payment.channels import usdt

    channel = usdt.Usdt("TAddr", "TContract", rate_fen=720, confirmations=20, chain=None)
    assert channel.base_amount(SimpleNamespace(amount=7200)) == 10_000_000
    assert channel.base_amount(SimpleNamespace(amount=990)) == 1_375_000
    assert channel.base_amount(SimpleNamespace(amount=1)) == 1389  # 1388.8..., never less
    assert usdt.format_micro(10_000_042) == "10.000042"


@pytest.mark.parametrize("rate", ["0", "-1", "abc", "7.2.0"])
def test_usdt_with_a_bad_rate_refuses_to_start(rate):
    with pytest.raises(channels.Misconfigured):
        channels.build({**BASE, "PAYMENT_CHANNELS": ["usdt"], "USDT_ADDRESS": "TAddr", "USDT_CNY_RATE": rate})


# -- epay V2 (RSA) ------------------------------------------------------------------------------


def epay2_config(tmp_path, **changes):
    from tests.doubles.keys import private_pem, public_pem, rsa_key, write

    merchant, platform = rsa_key(), rsa_key()
    config = {
        **BASE,
        "PAYMENT_CHANNELS": ["epay"],
        "EPAY_VERSION": "2",
        "EPAY_PID": "1002",
        "EPAY_URL": "http://127.0.0.1:1/",
        "EPAY_PRIVATE_KEY": write(tmp_path, "merchant.pem", private_pem(merchant)),
        "EPAY_PLATFORM_PUBLIC_KEY": public_pem(platform),
    }
    return {**config, **changes}, merchant, platform


def test_epay_v2_is_chosen_by_the_version_and_needs_no_md5_key(tmp_path):
    config, _, _ = epay2_config(tmp_path)
    built = channels.build(config)["epay"]
    assert isinstance(built, epay.EpayV2) and built.signer.sign_type == "RSA"
    assert type(channels.build({**config, "EPAY_VERSION": "1", "EPAY_KEY": "k"})["epay"]) is epay.Epay
    with pytest.raises(channels.Misconfigured, match="KAMENG_EPAY_KEY is empty"):
        channels.build({**config, "EPAY_VERSION": "1"})  # V1 still needs its key


@pytest.mark.parametrize("empty", ["EPAY_PID", "EPAY_URL", "EPAY_PRIVATE_KEY", "EPAY_PLATFORM_PUBLIC_KEY"])
def test_epay_v2_with_an_empty_setting_refuses_to_start(tmp_path, empty):
    config, _, _ = epay2_config(tmp_path, **{empty: ""})
    with pytest.raises(channels.Misconfigured, match=f"KAMENG_{empty} is empty"):
        channels.build(config)


def test_epay_v2_signs_sha256_with_rsa_over_the_sorted_non_empty_fields(tmp_path):
    import base64

    from Cryptodome.Hash import SHA256
    from Cryptodome.PublicKey import RSA
    from Cryptodome.Signature import pkcs1_15

    from tests.doubles.keys import private_pem, public_pem

    config, merchant, platform = epay2_config(tmp_path)
    channel = channels.build(config)["epay"]
    fields = {"pid": "1002", "timestamp": "1765100000", "money": "9.90", "name": "", "sign_type": "RSA", "z": 0}
    signature = base64.b64decode(channel.signer.sign(fields))
    text = b"money=9.90&pid=1002&timestamp=1765100000&z=0"
    pkcs1_15.new(RSA.import_key(public_pem(merchant))).verify(SHA256.new(text), signature)  # raises if not
    # and what the platform signs verifies; a nested value of a JSON answer is not signed
    platform_signed = base64.b64encode(pkcs1_15.new(RSA.import_key(private_pem(platform))).sign(SHA256.new(text)))
    platform_signed = platform_signed.decode()
    assert channel.signer.verify({**fields, "extra": {"a": 1}, "sign": "x"}, platform_signed)
    assert not channel.signer.verify({**fields, "money": "9.91"}, platform_signed)
    assert not channel.signer.verify(fields, channel.signer.sign(fields))  # our own key is not the platform's

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

"""An enabled Alipay or WeChat channel with an empty or unusable setting stops the payment
service at start: it never runs unable to verify what it receives."""

import pytest

from services.payment.channels import Misconfigured
from services.payment.service import PaymentService
from tests.doubles.keys import write


@pytest.mark.parametrize(
    "setting, value",
    [
        ("ALIPAY_PRIVATE_KEY", ""),
        ("ALIPAY_PUBLIC_KEY", ""),
        ("ALIPAY_APP_ID", ""),
        ("ALIPAY_SELLER_ID", " "),
        ("ALIPAY_PUBLIC_KEY", "/nonexistent/alipay.pem"),
        ("WECHAT_APIV3_KEY", ""),
        ("WECHAT_PLATFORM_CERT", ""),
        ("WECHAT_CERT_SERIAL", ""),
        ("WECHAT_MCHID", ""),
        ("WECHAT_APIV3_KEY", "too-short"),
    ],
)
def test_payment_service_refuses_to_start(container_factory, channels_config, tmp_path, setting, value):
    container = container_factory(PaymentService, {**channels_config, setting: value})
    with pytest.raises(Misconfigured, match=setting if value.strip() == "" else "alipay|wechat"):
        container.start()


def test_a_key_file_that_is_not_a_key_refuses_too(container_factory, channels_config, tmp_path):
    junk = write(tmp_path, "junk.pem", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    container = container_factory(PaymentService, {**channels_config, "WECHAT_PRIVATE_KEY": junk})
    with pytest.raises(Misconfigured, match="cannot load"):
        container.start()


def test_configured_channels_start(container_factory, channels_config):
    container = container_factory(PaymentService, channels_config)
    container.start()
    assert container.started

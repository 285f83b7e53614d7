"""Alipay and WeChat Pay channels against their local doubles: the whole system (real broker and
database) with both channels enabled and pointed at the doubles, notifies coming back to our
gateway over HTTP."""
import pytest

from tests.doubles.fixtures import (alipay_cfg, alipay_double, alipay_party, alipay_settings,  # noqa: F401
                                    wechat_cfg, wechat_double, wechat_party, wechat_settings)
# api and admin come from the gateway's conftest and use the `system` below (both channels on)
from tests.integration.gateway.conftest import admin, api, seeded, start_system  # noqa: F401 -- shared fixtures
from tests.integration.payment.conftest import db  # noqa: F401 -- shared fixture


@pytest.fixture
def channels_config(config, alipay_settings, wechat_settings):
    config.update(PAYMENT_CHANNELS=["alipay", "wechat"], PUBLIC_URL=config["BASE_URL"],
                  PAYMENT_RECONCILE_AFTER_S=3600, **alipay_settings, **wechat_settings)
    return config


@pytest.fixture
def system(channels_config, runner_factory, seeded):
    start_system(channels_config, runner_factory)
    return channels_config

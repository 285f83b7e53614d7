"""The epay channel switched on, against the epay double (`epay`). The double, like the system
(tests/e2e/conftest.py), serves all the tests of a module (`epay_double`); each test finds its
switches (down, refusing refunds...) and its call log as a new double has them. A module asks
for more settings by overriding `system_settings` with the folder's as its argument."""

import pytest

from tests.e2e.payment.epay_double import EpayDouble


@pytest.fixture(scope="module")
def epay_double():
    double = EpayDouble().start()
    yield double
    double.stop()


@pytest.fixture
def epay(epay_double):
    epay_double.reset()
    return epay_double


@pytest.fixture(scope="module")
def system_settings(epay_double):
    return lambda config: {
        "PAYMENT_CHANNELS": ["epay"],
        "EPAY_PID": epay_double.pid,
        "EPAY_KEY": epay_double.key,
        "EPAY_URL": epay_double.url,
        "PUBLIC_URL": config["BASE_URL"],
        "PAYMENT_RECONCILE_AFTER_S": 3600,
    }


@pytest.fixture
def epay_config(config, system_settings):
    """A test's own config with the module's settings (a test that starts services itself)."""
    config.update(system_settings(config))
    return config

import pytest

# api and admin (tests/e2e/conftest.py) use the `system` below (with epay switched on)
from tests.e2e.helpers import start_system
from tests.e2e.payment.epay_double import EpayDouble


@pytest.fixture
def epay():
    double = EpayDouble().start()
    yield double
    double.stop()


@pytest.fixture
def epay_config(config, epay):
    config.update(
        PAYMENT_CHANNELS=["epay"],
        EPAY_PID=epay.pid,
        EPAY_KEY=epay.key,
        EPAY_URL=epay.url,
        PUBLIC_URL=config["BASE_URL"],
        PAYMENT_RECONCILE_AFTER_S=3600,
    )
    return config


@pytest.fixture
def system(epay_config, runner_factory, seeded):
    start_system(epay_config, runner_factory)
    return epay_config

import pytest
from sqlalchemy import text

from services.common.db import make_engine
# api and admin come from the gateway's conftest and use the `system` below (with epay switched on)
from tests.integration.gateway.conftest import admin, api, seeded, start_system  # noqa: F401 -- shared fixtures
from tests.integration.payment.epay_double import EpayDouble


@pytest.fixture
def epay():
    double = EpayDouble().start()
    yield double
    double.stop()


@pytest.fixture
def epay_config(config, epay):
    config.update(PAYMENT_CHANNELS=["epay"], EPAY_PID=epay.pid, EPAY_KEY=epay.key, EPAY_URL=epay.url,
                  PUBLIC_URL=config["BASE_URL"], PAYMENT_RECONCILE_AFTER_S=3600)
    return config


@pytest.fixture
def system(epay_config, runner_factory, seeded):
    start_system(epay_config, runner_factory)
    return epay_config


@pytest.fixture
def db(database_url):
    """Read-only looks at the payment tables (what was stored, what moved)."""
    engine = make_engine(database_url)

    def query(sql, **params):
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(text(sql), params)]
    yield query
    engine.dispose()

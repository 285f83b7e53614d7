"""Alipay and WeChat Pay channels against their local doubles: the whole system (real broker and
database) with both channels enabled and pointed at the doubles, notifies coming back to our
gateway over HTTP."""

import pytest

from tests.e2e.helpers import start_system


# api and admin (tests/e2e/conftest.py) use this `system` (both channels on; channels_config is
# in tests/doubles/fixtures.py)
@pytest.fixture
def system(channels_config, runner_factory, seeded):
    start_system(channels_config, runner_factory)
    return channels_config

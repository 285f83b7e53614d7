import pytest


@pytest.fixture
def config(config):
    """The order digest without its lag and the gateway's view counts sent every half second, so
    a test sees its orders and views in the reports within seconds."""
    return {**config, "ORDER_DIGEST_LAG_S": 0, "VIEWS_FLUSH_S": 0.5}

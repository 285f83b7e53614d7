"""Eventlet must patch before anything else is imported (nameko's pytest plugin no longer does),
and psycopg2 must wait cooperatively, or tests hang."""
import services  # noqa: F401 -- silences eventlet's deprecation notice before it is imported
import eventlet  # noqa: E402

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from services.common import migrate  # noqa: E402
from services.common.config import DEFAULTS  # noqa: E402
from services.common.testing import test_config  # noqa: E402


@pytest.fixture(scope="session")
def database_url():
    """A throw-away database, migrated like production, dropped at the end of the run."""
    base = make_url(os.environ.get("KAMENG_DATABASE_URL", DEFAULTS["KAMENG_DATABASE_URL"][0]))
    url = base.set(database=f"kameng_test_{uuid.uuid4().hex[:10]}").render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    migrate.drop_database(url)


@pytest.fixture
def config(rabbit_config, database_url):
    """nameko config for one test: a fresh RabbitMQ vhost (nameko's rabbit_config) and the test database."""
    return test_config(rabbit_config["AMQP_URI"], database_url)

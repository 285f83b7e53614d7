"""The fuzzer writes whatever its generated requests make (member levels named "'", categories,
agents...): it runs the system on a database of its own, dropped afterwards, so that no other test
meets what it left."""

import uuid

import pytest
from sqlalchemy.engine import make_url

from services.catalog import seed
from services.catalog.models import metadata
from services.common import migrate
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from tests.e2e.helpers import start_system


@pytest.fixture(scope="module")
def fuzz_database(database_url):
    url = make_url(database_url).set(database=f"kameng_fuzz_{uuid.uuid4().hex[:10]}")
    url = url.render_as_string(hide_password=False)
    migrate.upgrade(url)
    engine = make_engine(url)
    with transaction(engine, metadata) as session:
        seed.seed(session, DataKeys([DEV_ENV["KAMENG_DATA_KEY"]]))
    engine.dispose()
    yield url
    migrate.drop_database(url)


@pytest.fixture
def system(config, runner_factory, fuzz_database):
    config["DATABASE_URL"] = fuzz_database
    start_system(config, runner_factory)
    return config

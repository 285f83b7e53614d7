"""The whole system for end-to-end tests: every service and the gateway started in-process on the
test vhost and database, driven over HTTP (`api`, and `admin` with the admin token). A folder
that needs the system configured otherwise overrides `system`; `api` and `admin` follow it."""

import pytest

from services.catalog import seed
from services.catalog.models import metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from tests.e2e.helpers import Api, admin_session, start_system


@pytest.fixture(scope="session")
def seeded(database_url):
    engine = make_engine(database_url)
    with transaction(engine, metadata) as session:
        seed.seed(session, DataKeys([DEV_ENV["KAMENG_DATA_KEY"]]))
    engine.dispose()


@pytest.fixture
def system(config, runner_factory, seeded):
    start_system(config, runner_factory)
    return config


@pytest.fixture
def api(system):
    with Api(system["BASE_URL"]) as session:
        yield session


@pytest.fixture
def console(system):
    """A browser-like client signed in to the console (cookie session, no bearer token)."""
    with Api(system["BASE_URL"]) as client:
        admin_session(client)
        yield client


@pytest.fixture
def admin(system):
    with Api(system["BASE_URL"]) as session:
        session.headers["Authorization"] = f"Bearer {system['ADMIN_TOKEN']}"
        yield session

"""The whole system for end-to-end tests: every service and the gateway started in-process on a
test vhost and the test database, driven over HTTP (`api`, and `admin` with the admin token). A
module or folder that needs the system configured otherwise overrides `system_settings` (or, to
start it otherwise, `system`); `api` and `admin` follow it.

One system serves all the tests of a module (`module_system`): starting thirteen services and the
gateway cost 1.5-5 s of CPU per test, most of an end-to-end test's time. A test gets a system of
its own when it asks for what would not be the shared one's (`config`, `runner_factory`,
`container_factory`, `rabbit_config`: it starts, stops or configures services itself) or is marked
`fresh_system` (every browser test: tests/e2e/browser/conftest.py). Between tests the shared
system's risk counters (Redis) are emptied, as a fresh system's prefix would have them; the
database was always shared by the whole run."""

from urllib.parse import urlparse

import pytest
import redis
from nameko.runners import ServiceRunner

from services.catalog import seed
from services.catalog.models import metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.common.testing import test_config
from tests.e2e.helpers import Api, admin_session, start_system

OWN_SYSTEM = frozenset({"config", "runner_factory", "container_factory", "rabbit_config"})


@pytest.fixture(scope="session")
def seeded(database_url):
    engine = make_engine(database_url)
    with transaction(engine, metadata) as session:
        seed.seed(session, DataKeys([DEV_ENV["KAMENG_DATA_KEY"]]))
    engine.dispose()


@pytest.fixture(scope="module")
def system_settings():
    """What a module's (or a folder's) system is started with beyond `test_config`'s: a function
    of that config answering the settings to change (`{"PUBLIC_URL": config["BASE_URL"]}`)."""
    return lambda config: {}


@pytest.fixture(scope="module")
def module_system(request, vhost_pipeline, database_url, mail_sink, seeded, system_settings):
    """The system the module's tests share, on a vhost of its own from nameko's vhost pipeline
    (as its `rabbit_config` takes one: made ahead and deleted in the background, so that a slow
    deletion under load never counts against a test), stopped after the module."""
    uri = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    runners = []

    def runner_factory(cfg, *services):
        runner = ServiceRunner(cfg)
        for service in services:
            runner.add_service(service)
        runners.append(runner)
        return runner

    with vhost_pipeline.get() as vhost:
        config = test_config(f"{uri.scheme}://{uri.netloc}/{vhost}", database_url, SMTP_URL=mail_sink[0])
        config.update(system_settings(config))
        try:
            start_system(config, runner_factory)
            yield config
        finally:
            for runner in reversed(runners):  # the gateway first
                runner.kill()


@pytest.fixture
def system(request, module_system):
    """The module's system, or one of the test's own (see the module's docstring). `module_system`
    is asked for here, not only when used: a fixture of a wider scope is set up before the test's
    own, so before nameko's `fast_teardown`, which stops the consumers made during a test."""
    if OWN_SYSTEM & set(request.fixturenames) or request.node.get_closest_marker("fresh_system"):
        config = request.getfixturevalue("config")
        config.update(request.getfixturevalue("system_settings")(config))
        start_system(config, request.getfixturevalue("runner_factory"))
        yield config
        return
    config = module_system
    yield config
    client = redis.Redis.from_url(config["REDIS_URL"])
    keys = list(client.scan_iter(f"{config['RISK_COUNTER_PREFIX']}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


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

import pytest
import requests
from gateway.service import GatewayService
from services.catalog import seed
from services.catalog.models import metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from tools.runner import ALL, service_class

WORKERS = [service_class(name) for name in ALL if name != "gateway"]


@pytest.fixture(scope="session")
def seeded(database_url):
    engine = make_engine(database_url)
    with transaction(engine, metadata) as session:
        seed.seed(session, DataKeys([DEV_ENV["KAMENG_DATA_KEY"]]))
    engine.dispose()


def start_system(config, runner_factory, workers=WORKERS):
    """Every service (or those given) and the gateway, in-process, on the test vhost and database.
    Answers the workers' runner; its `gateway` is the gateway's (stop that first)."""
    runner = runner_factory(config, *workers)
    runner.start()
    gateway = runner_factory({**config, "max_workers": 200}, GatewayService)
    gateway.start()
    runner.gateway = gateway
    return runner


@pytest.fixture
def system(config, runner_factory, seeded):
    start_system(config, runner_factory)
    return config


class Api(requests.Session):
    def __init__(self, base_url):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)


@pytest.fixture
def api(system):
    with Api(system["BASE_URL"]) as session:
        yield session


@pytest.fixture
def admin(system):
    with Api(system["BASE_URL"]) as session:
        session.headers["Authorization"] = f"Bearer {system['ADMIN_TOKEN']}"
        yield session

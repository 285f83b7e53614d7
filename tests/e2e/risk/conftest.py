import pytest

from services.common.testing import unique
from tests.e2e.helpers import Api, start_system


@pytest.fixture
def rules(admin):
    """`rules({...})` puts a rule set in force (through the admin API); the default comes back
    after the test, since the test database is shared by the whole run."""

    def put(rule_set):
        response = admin.put("/api/v1/admin/risk/rules", json=rule_set)
        assert response.status_code == 200, response.text
        return response.json()

    yield put
    put({})


@pytest.fixture
def listed(admin):
    """`listed("blacklist", kind, value)` adds an entry, removed after the test."""
    added = []

    def add(name, kind, value):
        response = admin.post(f"/api/v1/admin/risk/{name}", json={"kind": kind, "value": value})
        assert response.status_code == 201, response.text
        added.append((name, response.json()["id"]))
        return response.json()

    yield add
    for name, entry_id in added:
        admin.delete(f"/api/v1/admin/risk/{name}/{entry_id}")


@pytest.fixture
def contact():
    return f"{unique('risk')}@example.com"


@pytest.fixture
def quick_review(config, runner_factory, seeded):
    """The whole system with a 2-second review window: (api, admin)."""
    config["RISK_REVIEW_WINDOW_S"] = 2
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client, Api(config["BASE_URL"]) as admin_client:
        admin_client.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
        yield client, admin_client
        admin_client.put("/api/v1/admin/risk/rules", json={})

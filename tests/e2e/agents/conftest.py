"""The open-API and console tests' agents: a level, agents with keys as their shops' clients, and
a card product with an agent-level price."""

import pytest

from tests.e2e.agents.helpers import Agents, Shop
from tests.e2e.helpers import new_product


@pytest.fixture
def agents(system):
    return Agents(system)


@pytest.fixture
def level(agents):
    return agents.level()


@pytest.fixture
def shop(api, agents, level):
    """`shop(top_up=0, parent=None, markup_bp=None)`: an agent with a key, as its shop's client."""

    def make(top_up=0, parent=None, markup_bp=None):
        agent_id = agents.agent(level, parent=parent, markup_bp=markup_bp)
        if top_up:
            agents.top_up(agent_id, top_up)
        return Shop(api, agent_id, agents.key(agent_id))

    return make


@pytest.fixture
def card_sku(admin, level):
    """A card product at 9.90 retail, 8.00 for the agent level, with three codes."""
    product = new_product(price="9.90", low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    sku = product["sku"]
    answer = admin.put(f"/api/v1/admin/products/{sku}/level-prices/agent:{level}", json={"price": "8.00"})
    assert answer.status_code == 200, answer.text
    imported = admin.post(f"/api/v1/admin/products/{sku}/codes", data=b"AG-1,PW-1\nAG-2,PW-2\nAG-3,PW-3\n")
    assert imported.json()["imported"] == 3
    return sku

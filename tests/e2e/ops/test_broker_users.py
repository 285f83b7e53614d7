"""The whole system under production's broker users: every service and the gateway connect as a
RabbitMQ user of its own with exactly the permissions tools/broker_users.py generates (made in
this test's vhost through the management API), the shared exchanges made beforehand as the prod
overlay's Exchange objects do (KAMENG_AMQP_PREDECLARED=1), and the code readers those of the prod
ConfigMap. A card is bought, paid and delivered, and the buyer sees the codes: RPC between the
services, events, the saga and the catalog's check of who reads codes all work under them."""

import uuid
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import pytest
import yaml
from kombu import Connection, Exchange

from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status
from tools import broker_users
from tools.runner import ALL, service_class

PROD_CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "overlays" / "prod" / "config.yaml"


@pytest.fixture
def system(config, runner_factory, seeded, rabbit_manager):
    uri = urlparse(config["AMQP_URI"])
    vhost, password, suffix = unquote(uri.path[1:]), uuid.uuid4().hex, uuid.uuid4().hex[:6]
    with Connection(config["AMQP_URI"]) as conn:
        for name in broker_users.shared_exchanges():
            Exchange(name, type="topic", durable=True)(conn.default_channel).declare()
    users = {name: f"kameng-{name}-{suffix}" for name in ALL}
    for name, user in users.items():
        rabbit_manager._put("users", user, json={"password": password, "tags": ""})
        perms = broker_users.permissions(name)
        rabbit_manager.set_vhost_permissions(vhost, user, perms["configure"], perms["read"], perms["write"])
        for topic in broker_users.topic_permissions(name):
            rabbit_manager._put("topic-permissions", vhost, user, json=topic)
    readers = yaml.safe_load(PROD_CONFIG.read_text(encoding="utf-8"))["data"]["KAMENG_CODE_READERS"].split(",")
    runners = []
    for name in (*(n for n in ALL if n != "gateway"), "gateway"):
        runner = runner_factory(
            {
                **config,
                "AMQP_URI": f"amqp://{users[name]}:{password}@{uri.hostname}:{uri.port}/{quote(vhost, safe='')}",
                "AMQP_PREDECLARED": True,
                "CODE_READERS": [f"{reader}-{suffix}" for reader in readers],
                **({"max_workers": 200} if name == "gateway" else {}),
            },
            service_class(name),
        )
        runner.start()
        runners.append(runner)
    yield config
    for runner in reversed(runners):
        runner.kill()
    for user in users.values():
        rabbit_manager._delete("users", user)


def test_a_purchase_goes_through_with_every_service_under_its_own_broker_user(api, admin):
    sku = card_product(admin, codes=2)
    created = buy(api, sku)
    assert created.status_code == 201, created.text
    order = created.json()
    assert pay(api, order).status_code == 200
    done = wait_status(api, order, "completed")
    assert done["items"] == [{"code": f"{sku}-C0000", "secret": "pw0"}]  # the order service read them

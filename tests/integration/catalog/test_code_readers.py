"""Who may read codes (DESIGN §7), through the real RabbitMQ: the catalog answers decrypted codes
only to the broker users of CODE_READERS, known by the AMQP `user_id` of the request, which our
RpcProxy sets from its connection's user and RabbitMQ checks against that user."""

import uuid
from urllib.parse import urlparse

import pytest
from amqp.exceptions import PreconditionFailed
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from services.catalog.service import CatalogService
from services.common.errors import DomainError, Forbidden
from services.common.rpc import CALLER_KEY, RpcProxy, rpc
from services.common.testing import unique


def probe_service(name):
    """A service that asks the catalog for an order's codes, as whichever broker user runs it."""

    class Probe:
        catalog_rpc = RpcProxy("catalog")

        @rpc(expected_exceptions=DomainError)
        def codes(self, order_no):
            return self.catalog_rpc.get_codes(order_no)

    Probe.name = name
    return Probe


@pytest.fixture
def reader(rabbit_config, rabbit_manager):
    """A second broker user on the test's vhost: (name, its AMQP URI)."""
    name, password = f"kameng-test-reader-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    rabbit_manager._put("users", name, json={"password": password, "tags": ""})
    try:
        rabbit_manager.set_vhost_permissions(rabbit_config["vhost"], name, ".*", ".*", ".*")
        uri = urlparse(rabbit_config["AMQP_URI"])
        yield name, uri._replace(netloc=f"{name}:{password}@{uri.hostname}:{uri.port}").geturl()
    finally:
        rabbit_manager._delete("users", name)


def test_only_code_readers_get_codes(config, container_factory, make_product, reader):
    reader_name, reader_uri = reader
    container_factory(CatalogService, {**config, "CODE_READERS": [reader_name]}).start()
    container_factory(probe_service("allowed_probe"), {**config, "AMQP_URI": reader_uri}).start()
    container_factory(probe_service("guest_probe"), config).start()  # as guest: a real user, not listed
    sku = make_product(n_codes=1)
    order = unique("ORD")
    with ClusterRpcProxy(config) as cluster:
        cluster.catalog.reserve(order, sku, 1, 600)
        cluster.catalog.commit(order)

        assert [c["code"] for c in cluster.allowed_probe.codes(order)] == [f"{sku}-CODE-0"]
        with pytest.raises(Forbidden) as refused:
            cluster.guest_probe.codes(order)
        assert refused.value.details == {"caller": "guest", "setting": "CODE_READERS"}
        with pytest.raises(Forbidden):  # nameko's own proxy sends no user_id at all
            cluster.catalog.get_codes(order)
    with ClusterRpcProxy(config, context_data={CALLER_KEY: reader_name}) as forger, pytest.raises(Forbidden):
        forger.catalog.get_codes(order)  # a header naming the reader counts for nothing
    with ClusterRpcProxy(config) as cluster:
        # listing codes masked needs no reader; revealing them does
        assert cluster.catalog.list_codes("test", sku, {})["items"][0]["code"] == "•" * 8
        with pytest.raises(Forbidden):
            cluster.catalog.list_codes("test", sku, {"reveal": True})


def test_the_broker_refuses_a_forged_user_id(config, reader):
    """Publishing as guest under the reader's name: RabbitMQ closes the channel."""
    with Connection(config["AMQP_URI"], transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        with pytest.raises(PreconditionFailed, match="user_id"):
            producer.publish(
                {"args": ["ORD-1"], "kwargs": {}}, exchange="", routing_key="rpc-catalog", user_id=reader[0]
            )

"""What the direct recharge tests share: supplier simulators (tools/supplier_sim.py, real HTTP
servers), suppliers stored as the registry keeps them (credentials encrypted), the supplier and
delivery services with the gateway (for callbacks) on the test vhost, and looks at the rows."""

import json
from datetime import timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.service import GatewayService
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import transaction
from services.common.testing import unique, wait_until
from services.delivery.service import DeliveryService
from services.supplier import models
from services.supplier.registry import today
from services.supplier.service import SupplierService
from tests.doubles.supplier import SimHandle
from tools import supplier_sim

KEYS = DataKeys([DEV_ENV["KAMENG_DATA_KEY"]])
FAST = {
    "SUPPLIER_TIMEOUT_S": 1,
    "SUPPLIER_QUERY_AFTER_S": 0.3,
    "SUPPLIER_QUERY_MAX_S": 1,
    "SUPPLIER_CIRCUIT_FAILURES": 2,
    "SUPPLIER_CIRCUIT_COOLDOWN_S": 1,
}


@pytest.fixture
def sims():
    """`sims()`: a new simulator of its own (several suppliers in one test; answers held 3 s by
    "timeout": longer than our 1 s timeout), driven through the `supplier_sim` fixture's handle."""
    servers = []

    def start(**options):
        server = supplier_sim.serve(
            "127.0.0.1", 0, hold_s=options.get("hold_s", 3.0), late_s=options.get("late_s", 3.0)
        )
        servers.append(server)
        return SimHandle(server)

    yield start
    for server in servers:
        server.stop()


def add_supplier(engine, sim, sku, priority=100, cost=4000, **fields):
    """A supplier of `sku` through the generic adapter, approved, enabled and valid unless
    `fields` say otherwise. Answers its id."""
    with transaction(engine, models.metadata) as s:
        supplier = models.Supplier(
            **{
                "name": unique("sup"),
                "contact": "ops@example.com",
                "status": "approved",
                "enabled": True,
                "valid_until": today() + timedelta(days=365),
                "adapter": "generic",
                "base_url": sim.url,
                "settings": {},
                "credentials": KEYS.encrypt(json.dumps(sim.credentials)),
                **fields,
            }
        )
        s.add(supplier)
        s.flush()
        s.add(
            models.Sourcing(
                supplier_id=supplier.id, sku=sku, supplier_product_id="P-" + sku, cost_price=cost, priority=priority
            )
        )
        return supplier.id


@pytest.fixture
def system(config, runner_factory):
    """The supplier and delivery services, and the gateway (suppliers' callbacks come through it)."""
    config = {**config, **FAST, "PUBLIC_URL": config["BASE_URL"]}
    runner_factory(config, SupplierService, DeliveryService).start()
    runner_factory({**config, "max_workers": 50}, GatewayService).start()
    return config


def start(config, sku, quantity=1, order_no=None):
    """Hand a recharge over as the delivery service does; answers its order number."""
    order_no = order_no or unique("KRC").replace("-", "").upper()
    data = {"order_no": order_no, "sku": sku, "quantity": quantity, "recharge_account": "13800000000"}
    with ClusterRpcProxy(config) as cluster:
        assert cluster.supplier.start_recharge(data)["status"] == "trying"
    return order_no


def recharge(db, order_no):
    rows = db("SELECT status, reason FROM supplier.recharges WHERE order_no = :o", o=order_no)
    return rows[0] if rows else None


def attempts(db, order_no):
    return db(
        "SELECT attempt_id, supplier_id, seq, status, supplier_order_id, callbacks, queries, started_at, "
        "last_queried_at, finished_at FROM supplier.attempts WHERE order_no = :o ORDER BY seq",
        o=order_no,
    )


def events(db, schema, order_no):
    """Event types an outbox holds for the order, in order."""
    return [
        r["type"]
        for r in db(
            f"SELECT type FROM {schema}.outbox WHERE envelope->'data'->>'order_no' = :o ORDER BY id", o=order_no
        )
    ]


def ended(db, order_no, status, timeout=20):
    wait_until(
        lambda: (recharge(db, order_no) or {}).get("status") == status, timeout=timeout, message=f"recharge {status}"
    )
    return recharge(db, order_no)


def circuit(db, supplier_id):
    return db("SELECT circuit, failures FROM supplier.suppliers WHERE id = :i", i=supplier_id)[0]

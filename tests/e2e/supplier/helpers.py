"""Helpers shared by the supplier end-to-end tests: suppliers through the admin API (registry
tests), or set up straight in the supplier service's tables (push tests), and a client that signs
as a supplier does."""

import json
from datetime import timedelta

from services.common import outbox, signing
from services.common.crypto import DataKeys
from services.common.db import transaction
from services.common.envelope import utcnow
from services.common.testing import unique
from services.supplier import keys
from services.supplier.models import Sourcing, Supplier, metadata
from services.supplier.registry import today
from tests.e2e.helpers import new_product

PUSH = "/api/v1/supplier/inventory"

DOCUMENTS = [{"name": "营业执照", "number": "91310000MA1FL0001X"}]


def in_days(n):
    return (today() + timedelta(days=n)).isoformat()


def created(admin, **fields):
    answer = admin.post(
        "/api/v1/admin/suppliers", json={"name": unique("供货商"), "contact": "ops@up.example", **fields}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def approved(admin, days=30, enable=False):
    supplier = created(admin)
    answer = admin.post(
        f"/api/v1/admin/suppliers/{supplier['id']}/approve", json={"documents": DOCUMENTS, "valid_until": in_days(days)}
    )
    assert answer.status_code == 200, answer.text
    if enable:
        answer = admin.post(f"/api/v1/admin/suppliers/{supplier['id']}/enable")
        assert answer.status_code == 200, answer.text
    return answer.json()


def catalog_sku(admin):
    product = new_product()
    answer = admin.post("/api/v1/admin/products", json=product)
    assert answer.status_code == 201, answer.text
    return product["sku"]


def mapped(admin, supplier, sku, **fields):
    body = {"supplier_product_id": f"UP-{sku}", "cost_price": "8.00", "priority": 10, "enabled": True, **fields}
    answer = admin.put(f"/api/v1/admin/suppliers/{supplier['id']}/skus/{sku}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def availability_events(db, supplier_id):
    rows = db(
        "SELECT envelope FROM supplier.outbox WHERE type = 'supplier_availability_changed'"
        " AND (envelope->'data'->>'supplier_id')::bigint = :id ORDER BY id",
        id=supplier_id,
    )
    return [row["envelope"]["data"]["usable"] for row in rows]


def audit_of(db, supplier_id):
    rows = db("SELECT actor, action FROM supplier.audit WHERE subject = :s ORDER BY id", s=str(supplier_id))
    return [(row["actor"], row["action"]) for row in rows]


def enrol(engine, data_keys: DataKeys, skus, status="approved", enabled=True, valid_for_days=30):
    """A supplier with a key, mapped to `skus`: (supplier id, {"key_id", "secret"})."""
    with transaction(engine, metadata) as s:
        supplier = Supplier(
            name=unique("supplier"),
            contact="ops@supplier.example",
            status=status,
            enabled=enabled,
            valid_until=utcnow().date() + timedelta(days=valid_for_days),
        )
        s.add(supplier)
        s.flush()
        for sku in skus:
            s.add(Sourcing(supplier_id=supplier.id, sku=sku, supplier_product_id=f"P-{sku}", cost_price=500))
        key = keys.issue(s, data_keys, "test", supplier.id)
    return supplier.id, key


def announce_availability(engine, supplier_id, usable):
    """What the registry does when a supplier stops or starts being usable: its state and the
    event, in one transaction; the supplier service's relay publishes it."""
    with transaction(engine, metadata) as s:
        s.get_one(Supplier, supplier_id).enabled = usable
        outbox.add(s, "supplier_availability_changed", {"supplier_id": supplier_id, "usable": usable})


class Supplying:
    """Signed calls of one supplier through an `Api` session."""

    def __init__(self, api, supplier_id, key):
        self.api, self.id, self.key_id, self.secret = api, supplier_id, key["key_id"], key["secret"]

    def signed(self, method, path, body=b"", headers=None, **at):
        signature = signing.headers(self.key_id, self.secret, method, path, body, **at)
        return self.api.request(method, path, data=body, headers={**signature, **(headers or {})})

    def push(self, payload, **at):
        body = json.dumps(payload).encode()
        return self.signed("POST", PUSH, body, {"Content-Type": "application/json"}, **at)

    def batch(self, batch_id):
        return self.signed("GET", f"{PUSH}/{batch_id}")


def codes(*values):
    return [{"code": v} for v in values]

"""Suppliers for the push tests, set up straight in the supplier service's tables (the admin API
for suppliers is another part of issue 17), and a client that signs as a supplier does."""

import json
from datetime import timedelta

from services.common import outbox, signing
from services.common.crypto import DataKeys
from services.common.db import transaction
from services.common.envelope import utcnow
from services.common.testing import unique
from services.supplier import keys
from services.supplier.models import Sourcing, Supplier, metadata

PUSH = "/api/v1/supplier/inventory"


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

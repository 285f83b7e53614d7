"""Helpers shared by the supplier registry's end-to-end tests (the whole system, over HTTP)."""

from datetime import timedelta

from services.common.testing import unique
from services.supplier.registry import today
from tests.e2e.helpers import new_product

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

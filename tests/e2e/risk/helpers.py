"""Helpers shared by the risk end-to-end tests (and the browser tests' review scenario)."""

from sqlalchemy import create_engine, text

from services.common.testing import unique, wait_until
from tests.e2e.purchase.helpers import buy, card_product

REVIEW_BIG = {"amount": [{"category": "*", "above": 1500, "action": "review", "score": 60}]}


def held(api, admin, rules, codes=3, contact=None):
    """A card SKU and an order of 2 held for review (9.90 x 2 > 15.00)."""
    rules(REVIEW_BIG)
    sku = card_product(admin, codes=codes)
    order = buy(api, sku, quantity=2, contact=contact or f"{unique('rv')}@example.com").json()
    assert order["status"] == "review" and order["payment"] is None and order["reason"] is None
    wait_until(lambda: levels(admin, sku) == (codes - 2, 2, 0), message="the held order to keep its stock")
    return sku, order


def levels(admin, sku):
    report = next(r for r in admin.get("/api/v1/admin/stock").json()["items"] if r["sku"] == sku)
    return report["available"], report["reserved"], report["sold"]


def risk_of(admin, order):
    return admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["risk"]


def audit_of(config, order_no):
    engine = create_engine(config["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text("SELECT actor, action, data FROM risk.audit WHERE subject = :s ORDER BY id"), {"s": order_no}
                )
            ]
    finally:
        engine.dispose()

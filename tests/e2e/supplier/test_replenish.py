"""Auto-replenishment through the whole system (issue 17): a card SKU falling below its threshold
buys codes from its best usable supplier (the simulator, over real HTTP), imports them through the
push's path, says `stock_replenished`, once per crossing and never beyond the SKU's hourly cap."""

import pytest

from services.common.testing import unique, wait_until
from tests.e2e.purchase.helpers import buy, stock
from tests.e2e.supplier.helpers import approved, mapped

THRESHOLD = 3


@pytest.fixture(scope="module")
def system_settings():
    return lambda config: {"SUPPLIER_TIMEOUT_S": 1}  # the simulator holds a "timeout" answer for 3 s


def card_sku(admin, codes):
    sku = unique("RPL")
    product = {"sku": sku, "name": f"卡 {sku}", "category": "测试", "price": "9.90", "delivery": "card"}
    created = admin.post(
        "/api/v1/admin/products", json={**product, "max_quantity": 10, "low_stock_threshold": THRESHOLD}
    )
    assert created.status_code == 201, created.text
    lines = "".join(f"{sku}-C{n:04d}\n" for n in range(codes)).encode()
    imported = admin.post(f"/api/v1/admin/products/{sku}/codes", data=lines, headers={"Content-Type": "text/plain"})
    assert imported.json()["imported"] == codes
    return sku


def connected_supplier(admin, sim, sku, enable=True, **sourcing):
    supplier = approved(admin, enable=enable)
    connection = {"adapter": "generic", "base_url": sim.url, "settings": {}, "credentials": sim.credentials}
    answer = admin.put(f"/api/v1/admin/suppliers/{supplier['id']}/connection", json=connection)
    assert answer.status_code == 200, answer.text
    mapped(admin, supplier, sku, cost_price="1.00", **sourcing)
    return supplier


def purchases(admin, sku):
    answer = admin.get("/api/v1/admin/supplier-purchases", params={"sku": sku})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def replenished(db, sku):
    rows = db("SELECT envelope FROM supplier.outbox WHERE type = 'stock_replenished' ORDER BY id")
    return [r["envelope"]["data"] for r in rows if r["envelope"]["data"]["sku"] == sku]


def test_a_low_card_sku_is_refilled_from_its_best_usable_supplier_once_per_crossing(
    api, admin, console, db, supplier_sim
):
    sku = card_sku(admin, codes=5)
    disabled = connected_supplier(admin, supplier_sim, sku, enable=False, priority=1)  # better, but not usable
    best = connected_supplier(admin, supplier_sim, sku, priority=5)
    connected_supplier(admin, supplier_sim, sku, priority=9)

    assert buy(api, sku, quantity=3).status_code == 201  # 5 -> 2: below 3, one crossing
    done = wait_until(lambda: replenished(db, sku), timeout=20, message="stock_replenished")
    assert done == [
        {
            "sku": sku,
            "supplier_id": best["id"],
            "purchase_id": done[0]["purchase_id"],
            "bought": 4,
            "imported": 4,
            "cost": 400,
        }
    ]
    assert wait_until(
        lambda: stock(api, sku) == 6 or None, timeout=10, message="6 codes in stock"
    )  # 2 + 4: twice the threshold
    [purchase] = purchases(admin, sku)
    assert (purchase["supplier_id"], purchase["status"], purchase["bought"], purchase["cost"]) == (
        best["id"],
        "bought",
        4,
        "4.00",
    )
    assert all(p["supplier_id"] != disabled["id"] for p in purchases(admin, sku))
    assert len(supplier_sim.purchases()) == 1
    page = console.get("/admin/suppliers")  # the console shows the purchase with its cost
    assert f'data-purchase="{purchase["id"]}"' in page.text and "4.00" in page.text

    assert buy(api, sku, quantity=2).status_code == 201  # 6 -> 4: still above the threshold, no crossing
    assert buy(api, sku, quantity=2).status_code == 201  # 4 -> 2: the second crossing
    wait_until(lambda: len(replenished(db, sku)) == 2 or None, timeout=20, message="the second refill")
    assert len(purchases(admin, sku)) == 2 and len(supplier_sim.purchases()) == 2


def test_a_failing_supplier_is_passed_over_for_the_next(api, admin, db, supplier_sim):
    sku = card_sku(admin, codes=4)
    first = connected_supplier(admin, supplier_sim, sku, priority=1)
    second = connected_supplier(admin, supplier_sim, sku, priority=2)
    supplier_sim.script(buy=["fail", "succeed"])

    assert buy(api, sku, quantity=2).status_code == 201  # 4 -> 2
    done = wait_until(lambda: replenished(db, sku), timeout=20, message="stock_replenished")
    assert done[0]["supplier_id"] == second["id"]
    by_supplier = {p["supplier_id"]: p for p in purchases(admin, sku)}
    assert by_supplier[first["id"]]["status"] == "failed" and by_supplier[first["id"]]["cost"] == "0.00"
    assert by_supplier[second["id"]]["status"] == "bought"


def test_the_hourly_cap_limits_what_is_bought(api, admin, db, supplier_sim):
    sku = card_sku(admin, codes=4)
    connected_supplier(admin, supplier_sim, sku, hourly_cap="3.00")  # 3 codes at 1.00 an hour

    assert buy(api, sku, quantity=2).status_code == 201  # 4 -> 2: wants 4, the cap allows 3
    done = wait_until(lambda: replenished(db, sku), timeout=20, message="stock_replenished")
    assert (done[0]["bought"], done[0]["cost"]) == (3, 300)
    wait_until(lambda: stock(api, sku) == 5 or None, timeout=10, message="5 codes in stock")

    assert buy(api, sku, quantity=3).status_code == 201  # 5 -> 2: a crossing, but the cap is spent
    capped = wait_until(
        lambda: [p for p in purchases(admin, sku) if p["status"] == "capped"], timeout=20, message="a capped purchase"
    )
    assert capped[0]["bought"] == 0 and capped[0]["cost"] == "0.00"
    assert len(supplier_sim.purchases()) == 1 and len(replenished(db, sku)) == 1
    wait_until(lambda: stock(api, sku) == 2 or None, timeout=10, message="2 codes left: nothing added")

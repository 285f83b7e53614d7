"""Multi-spec products and wholesale tiers (issue 24) over HTTP: the admin API makes a product
group and its specs and sets a SKU's tiers; the public API keeps answering per SKU, with the
group's specs and the tiers; an order at a tier's quantity is priced by the tier; the storefront
shows the group as one tile."""

import re

import pytest

from services.common.testing import unique
from tests.e2e.helpers import assert_error, csrf_of
from tests.e2e.purchase.helpers import buy, order_of, pay, wait_status


def make_group(admin, name="点卡"):
    created = admin.post("/api/v1/admin/product-groups", json={"name": name, "description": "全区通用"})
    assert created.status_code == 201, created.text
    return created.json()


def make_spec(admin, group_id, label, price, codes=0, sort_order=0, max_quantity=20, name="点卡"):
    sku = unique("SPEC")
    body = {
        "sku": sku,
        "name": f"{name} {label}",
        "category": "测试",
        "price": price,
        "delivery": "card",
        "max_quantity": max_quantity,
        "group_id": group_id,
        "spec_label": label,
        "sort_order": sort_order,
    }
    created = admin.post("/api/v1/admin/products", json=body)
    assert created.status_code == 201, created.text
    if codes:
        lines = "".join(f"{sku}-C{n:04d}\n" for n in range(codes)).encode()
        imported = admin.post(f"/api/v1/admin/products/{sku}/codes", data=lines, headers={"Content-Type": "text/plain"})
        assert imported.json()["imported"] == codes
    return sku


def test_a_group_s_specs_are_skus_shown_together_and_the_api_keeps_answering_per_sku(api, admin):
    group = make_group(admin)
    assert group == {"id": group["id"], "name": "点卡", "description": "全区通用", "specs": []}
    tag = unique("点卡")
    s50 = make_spec(admin, group["id"], "50 元", "50.00", codes=2, sort_order=1, name=tag)
    s100 = make_spec(admin, group["id"], "100 元", "100.00", codes=1, sort_order=2, name=tag)

    one = api.get(f"/api/v1/products/{s100}").json()
    assert one["sku"] == s100 and one["price"] == "100.00" and one["stock"] == 1
    assert one["group"] == {"id": group["id"], "name": "点卡", "description": "全区通用"}
    assert one["spec_label"] == "100 元"
    assert one["specs"] == [
        {"sku": s50, "spec_label": "50 元", "price": "50.00", "currency": "CNY", "stock": 2},
        {"sku": s100, "spec_label": "100 元", "price": "100.00", "currency": "CNY", "stock": 1},
    ]
    listed = api.get("/api/v1/products", params={"q": s50}).json()["items"]
    assert [(p["sku"], p["spec_label"], p["group"]["id"]) for p in listed] == [(s50, "50 元", group["id"])]
    assert "specs" not in listed[0]  # the listing stays one row per SKU

    shown = admin.get(f"/api/v1/admin/product-groups/{group['id']}").json()
    assert [(s["sku"], s["active"]) for s in shown["specs"]] == [(s50, True), (s100, True)]
    renamed = admin.patch(f"/api/v1/admin/product-groups/{group['id']}", json={"name": "游戏点卡"})
    assert renamed.json()["name"] == "游戏点卡"
    assert api.get(f"/api/v1/products/{s50}").json()["group"]["name"] == "游戏点卡"

    page = api.get("/", params={"q": tag})  # the shop: one tile for the group, opening its cheapest spec
    tiles = re.findall(r'<a class="tile[^"]*" href="/products/([^"?]+)"', page.text)
    assert tiles == [s50]
    assert "2 种规格" in page.text
    product_page = api.get(f"/products/{s100}").text
    assert f'href="/products/{s50}"' in product_page and 'aria-current="page"' in product_page


def test_group_and_spec_input_is_validated(api, admin):
    assert_error(admin.post("/api/v1/admin/product-groups", json={"name": ""}), 400, "validation_error")
    assert_error(admin.post("/api/v1/admin/product-groups", json={"name": "x", "colour": 1}), 400, "validation_error")
    assert_error(api.post("/api/v1/admin/product-groups", json={"name": "x"}), 401, "unauthorized")
    assert_error(admin.get("/api/v1/admin/product-groups/999999999999"), 404, "not_found")
    assert_error(admin.get(f"/api/v1/admin/product-groups/{2**70}"), 404, "not_found")  # beyond a bigint
    assert_error(admin.patch("/api/v1/admin/product-groups/999999999999", json={"name": "y"}), 404, "not_found")
    sku = unique("SPEC")
    body = {"sku": sku, "name": "x", "category": "测试", "price": "1.00", "delivery": "card"}
    error = assert_error(
        admin.post("/api/v1/admin/products", json={**body, "group_id": 999999999999}), 400, "validation_error"
    )
    assert "group_id" in error["details"]["fields"]
    assert_error(admin.post("/api/v1/admin/products", json={**body, "spec_label": "x" * 41}), 400, "validation_error")
    assert_error(api.get(f"/api/v1/products/{sku}"), 404, "not_found")  # nothing half-written


@pytest.mark.parametrize(
    "tiers",
    [
        [{"min_quantity": 1, "price": "9.00"}],
        [{"min_quantity": 0, "price": "9.00"}],
        [{"min_quantity": 10, "price": 9}],  # money is a string
        [{"min_quantity": 10, "price": "9.001"}],
        [{"min_quantity": 10, "price": "-1.00"}],
        [{"min_quantity": "10", "price": "9.00"}],
        [{"min_quantity": 10, "price": "9.00"}, {"min_quantity": 10, "price": "8.00"}],
        [{"min_quantity": 10, "price": "8.00"}, {"min_quantity": 20, "price": "9.00"}],  # dearer as it rises
        [{"min_quantity": 10, "price": "9.00", "extra": 1}],
    ],
)
def test_bad_tiers_are_refused_and_the_last_ones_kept(api, admin, tiers):
    sku = make_spec(admin, None, "x", "10.00")
    path = f"/api/v1/admin/products/{sku}/wholesale-tiers"
    assert admin.put(path, json={"tiers": [{"min_quantity": 5, "price": "9.50"}]}).status_code == 200
    assert_error(admin.put(path, json={"tiers": tiers}), 400, "validation_error")
    assert api.get(f"/api/v1/products/{sku}").json()["wholesale_tiers"] == [{"min_quantity": 5, "price": "9.50"}]


def test_tiers_need_an_admin_and_a_known_sku(api, admin):
    assert_error(admin.put("/api/v1/admin/products/NO-SUCH/wholesale-tiers", json={"tiers": []}), 404, "not_found")
    sku = make_spec(admin, None, "x", "10.00")
    assert_error(api.put(f"/api/v1/admin/products/{sku}/wholesale-tiers", json={"tiers": []}), 401, "unauthorized")
    assert_error(admin.put(f"/api/v1/admin/products/{sku}/wholesale-tiers", json={}), 400, "validation_error")


def test_an_order_at_a_tier_s_quantity_pays_the_tier_price(api, admin):
    group = make_group(admin)
    sku = make_spec(admin, group["id"], "50 元", "50.00", codes=25)
    tiers = [{"min_quantity": 20, "price": "44.00"}, {"min_quantity": 10, "price": "45.00"}]
    answer = admin.put(f"/api/v1/admin/products/{sku}/wholesale-tiers", json={"tiers": tiers})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sku": sku, "tiers": sorted(tiers, key=lambda t: t["min_quantity"])}
    quotes = {n: api.get(f"/api/v1/products/{sku}/quote", params={"quantity": n}).json() for n in (9, 10, 11, 20)}
    assert {n: q["unit_price"] for n, q in quotes.items()} == {9: "50.00", 10: "45.00", 11: "45.00", 20: "44.00"}
    assert quotes[10]["rule"] == {"kind": "wholesale", "min_quantity": 10}

    created = buy(api, sku, quantity=10)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["amount"] == "450.00"
    pay(api, order)
    wait_status(api, order, "completed")
    assert len(order_of(api, order)["items"]) == 10
    assert buy(api, sku, quantity=9).json()["amount"] == "450.00"  # 9 × 50.00: below the tier


def test_the_console_groups_a_product_and_sets_its_tiers(api, admin, console):
    sku = make_spec(admin, None, "月卡", "30.00")
    page = console.get(f"/admin/products/{sku}")
    assert page.status_code == 200 and 'id="new-group"' in page.text and 'id="tiers"' in page.text
    form = {"csrf": csrf_of(page)}
    grouped = console.post(f"/admin/products/{sku}", data={**form, "action": "new_group", "group_name": "会员卡"})
    assert grouped.status_code == 200 and "alert-ok" in grouped.text
    group = api.get(f"/api/v1/products/{sku}").json()["group"]
    assert group["name"] == "会员卡"
    year = make_spec(admin, group["id"], "年卡", "300.00", sort_order=1)
    assert [s["sku"] for s in api.get(f"/api/v1/products/{year}").json()["specs"]] == [sku, year]

    edit = {**form, "action": "edit", "name": "会员 月卡", "category": "测试", "price": "30.00", "active": "on"}
    labelled = console.post(f"/admin/products/{sku}", data={**edit, "group_id": str(group["id"]), "spec_label": "月卡"})
    assert labelled.status_code == 200, labelled.text[-500:]
    assert api.get(f"/api/v1/products/{sku}").json()["spec_label"] == "月卡"
    assert console.post(f"/admin/products/{sku}", data={**edit, "group_id": "999999999999"}).status_code == 400
    assert api.get(f"/api/v1/products/{sku}").json()["group"]["id"] == group["id"]  # unchanged

    tiers = console.post(f"/admin/products/{sku}", data={**form, "action": "tiers", "tiers": "10:28.00，50:26.50"})
    assert tiers.status_code == 200 and 'value="10:28.00, 50:26.50"' in tiers.text
    assert api.get(f"/api/v1/products/{sku}").json()["wholesale_tiers"] == [
        {"min_quantity": 10, "price": "28.00"},
        {"min_quantity": 50, "price": "26.50"},
    ]
    for bad in ("10:abc", "x:1.00", "1:29.00", "10:28.00, 10:27.00", "10"):
        assert console.post(f"/admin/products/{sku}", data={**form, "action": "tiers", "tiers": bad}).status_code == 400
    assert len(api.get(f"/api/v1/products/{sku}").json()["wholesale_tiers"]) == 2
    cleared = console.post(f"/admin/products/{sku}", data={**form, "action": "tiers", "tiers": ""})
    assert cleared.status_code == 200 and "wholesale_tiers" not in api.get(f"/api/v1/products/{sku}").json()

    ungrouped = console.post(f"/admin/products/{sku}", data={**edit, "group_id": "", "spec_label": ""})
    assert ungrouped.status_code == 200 and "group" not in api.get(f"/api/v1/products/{sku}").json()

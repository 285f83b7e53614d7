"""The catalog's admin API and code import over HTTP, through the gateway and the broker."""

import pytest

from services.common.testing import unique
from tests.e2e.helpers import assert_error, new_product

IMPORT_HEADERS = {"Content-Type": "text/plain; charset=utf-8"}


@pytest.fixture
def sku(admin):
    product = new_product(low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    return product["sku"]


def import_text(admin, sku, body, **params):
    return admin.post(f"/api/v1/admin/products/{sku}/codes", data=body, headers=IMPORT_HEADERS, params=params)


def test_import_counts_imported_duplicates_and_rejected(api, admin, sku):
    body = "C1,s1\nC2\nC1\n\nC3,pw,2027-13-01\n\xff".encode()[:-2] + b"\xff\xfe\n"
    response = import_text(admin, sku, body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "imported": 2,
        "duplicates": 1,
        "rejected_total": 3,
        "rejected": [
            {"line": 4, "reason": "empty line"},
            {"line": 5, "reason": "expiry is not a YYYY-MM-DD date"},
            {"line": 6, "reason": "not valid UTF-8"},
        ],
    }
    again = import_text(admin, sku, b"C2\nC4\n").json()
    assert (again["imported"], again["duplicates"]) == (1, 1)
    assert api.get(f"/api/v1/products/{sku}").json()["stock"] == 3


def test_import_by_file_upload_with_another_separator(admin, sku):
    files = {"file": ("codes.txt", b"F1----secret1\nF2----secret2\n", "text/plain")}
    response = admin.post(f"/api/v1/admin/products/{sku}/codes", files=files, params={"separator": "----"})
    assert response.json()["imported"] == 2
    revealed = admin.get(f"/api/v1/admin/products/{sku}/codes", params={"reveal": "true"}).json()["items"]
    assert [(c["code"], c["secret"]) for c in revealed] == [("F1", "secret1"), ("F2", "secret2")]
    masked = admin.get(f"/api/v1/admin/products/{sku}/codes").json()["items"]
    assert all("F" not in c["code"] and c["status"] == "available" for c in masked)


def test_import_rejects_empty_bodies_wrong_types_and_unknown_products(admin, sku):
    assert_error(import_text(admin, sku, b""), 400, "validation_error")
    assert_error(import_text(admin, sku, b"\n\n  \n"), 400, "validation_error")
    assert_error(
        admin.post(f"/api/v1/admin/products/{sku}/codes", json={"codes": ["x"]}), 415, "unsupported_media_type"
    )
    assert_error(import_text(admin, "NO-SUCH-SKU", b"X1\n"), 404, "not_found")
    recharge = new_product(delivery="recharge")
    admin.post("/api/v1/admin/products", json=recharge)
    assert_error(import_text(admin, recharge["sku"], b"X1\n"), 409, "conflict")
    assert_error(import_text(admin, sku, b"X1\n", separator="%"), 400, "validation_error")


def test_a_fifty_megabyte_line_is_rejected_and_the_rest_imported(api, admin, sku):
    def body():
        yield b"GOOD-1\n"
        for _ in range(50):
            yield b"x" * (1 << 20)
        yield b"\nGOOD-2\n"

    response = import_text(admin, sku, body())
    assert response.status_code == 200, response.text
    assert response.json()["rejected"] == [{"line": 2, "reason": "line too long"}]
    assert response.json()["imported"] == 2


def test_import_needs_the_admin_token(api, sku):
    assert_error(
        api.post(f"/api/v1/admin/products/{sku}/codes", data=b"X\n", headers=IMPORT_HEADERS), 401, "unauthorized"
    )
    assert_error(api.get(f"/api/v1/admin/products/{sku}/codes"), 401, "unauthorized")


def test_update_deactivate_and_reactivate(api, admin, sku):
    changed = admin.patch(f"/api/v1/admin/products/{sku}", json={"price": "12.34", "name": "新名字"})
    assert changed.status_code == 200 and changed.json()["price"] == "12.34"
    assert api.get(f"/api/v1/products/{sku}").json()["name"] == "新名字"
    assert admin.delete(f"/api/v1/admin/products/{sku}").json()["active"] is False
    assert_error(api.get(f"/api/v1/products/{sku}"), 404, "not_found")
    assert admin.patch(f"/api/v1/admin/products/{sku}", json={"active": True}).status_code == 200
    assert api.get(f"/api/v1/products/{sku}").status_code == 200
    assert_error(
        admin.patch(f"/api/v1/admin/products/{sku}", json={"min_quantity": 9, "max_quantity": 2}),
        400,
        "validation_error",
    )
    assert_error(admin.patch(f"/api/v1/admin/products/{sku}", json={"delivery": "loop"}), 409, "conflict")  # fixed
    assert_error(admin.patch("/api/v1/admin/products/NOPE", json={"name": "x"}), 404, "not_found")


def test_category_tree(admin):
    root, child = unique("root"), unique("child")
    assert admin.post("/api/v1/admin/categories", json={"name": root}).status_code == 201
    made = admin.post("/api/v1/admin/categories", json={"name": child, "parent": root})
    assert made.json() == {
        "name": child,
        "parent": root,
        "sort_order": 0,
        "requires_real_name": False,
        "archived": False,
    }
    assert_error(admin.post("/api/v1/admin/categories", json={"name": root}), 409, "conflict")
    assert_error(admin.patch(f"/api/v1/admin/categories/{root}", json={"parent": child}), 400, "validation_error")
    assert_error(admin.post("/api/v1/admin/categories", json={"name": unique("x"), "parent": "nope"}), 404, "not_found")
    listed = admin.get("/api/v1/admin/categories").json()["items"]
    assert {"name": child, "parent": root, "sort_order": 0, "requires_real_name": False, "archived": False} in listed


def test_a_category_is_archived_only_without_products_on_sale_then_hidden_and_closed(api, admin):
    root, child, sku = unique("root"), unique("child"), unique("AR")
    assert admin.post("/api/v1/admin/categories", json={"name": root}).status_code == 201
    assert admin.post("/api/v1/admin/categories", json={"name": child, "parent": root}).status_code == 201
    product = {"sku": sku, "name": "archive me", "category": child, "price": "1.00", "delivery": "card"}
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    # a product on sale inside a category inside it: refused, nothing changed
    assert_error(admin.patch(f"/api/v1/admin/categories/{root}", json={"archived": True}), 409, "conflict")
    assert_error(
        admin.patch(f"/api/v1/admin/categories/{root}", json={"archived": "sometimes"}), 400, "validation_error"
    )
    assert all(not c["archived"] for c in admin.get("/api/v1/admin/categories").json()["items"] if c["name"] == root)
    assert admin.delete(f"/api/v1/admin/products/{sku}").status_code in (200, 204)  # deactivated
    archived = admin.patch(f"/api/v1/admin/categories/{root}", json={"archived": True})
    assert archived.status_code == 200 and archived.json()["archived"] is True, archived.text
    listed = {c["name"]: c["archived"] for c in admin.get("/api/v1/admin/categories").json()["items"]}
    assert listed[root] is True and listed[child] is False  # the console still lists it
    assert f">{root}<" not in api.get("/").text  # the storefront does not
    other = {**product, "sku": unique("AR"), "category": root}
    assert_error(admin.post("/api/v1/admin/products", json=other), 409, "conflict")  # it takes no product
    assert admin.patch(f"/api/v1/admin/categories/{root}", json={"archived": False}).json()["archived"] is False
    assert admin.post("/api/v1/admin/products", json=other).status_code == 201


def test_level_price_promotion_and_public_quote(api, admin, sku):
    assert admin.put(f"/api/v1/admin/products/{sku}/level-prices/gold", json={"price": "8.00"}).status_code == 200
    promo = admin.post(
        f"/api/v1/admin/products/{sku}/promotions",
        json={
            "name": "always",
            "percent_off": 50,
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "starts": "00:00",
            "ends": "00:00",
            "timezone": "Asia/Shanghai",
        },
    )
    assert promo.status_code == 201, promo.text
    quote = api.get(f"/api/v1/products/{sku}/quote", params={"quantity": 2}).json()
    # "00:00"-"00:00" is an empty window: the base price applies
    assert quote == {
        "sku": sku,
        "quantity": 2,
        "unit_price": "9.90",
        "total": "19.80",
        "currency": "CNY",
        "rule": {"kind": "base"},
    }
    assert admin.delete(f"/api/v1/admin/promotions/{promo.json()['id']}").json()["active"] is False
    assert_error(admin.delete(f"/api/v1/admin/promotions/{promo.json()['id']}"), 404, "not_found")
    assert_error(api.get(f"/api/v1/products/{sku}/quote", params={"quantity": 99}), 400, "validation_error")
    assert_error(
        admin.post(
            f"/api/v1/admin/products/{sku}/promotions", json={"name": "both", "percent_off": 10, "price": "1.00"}
        ),
        400,
        "validation_error",
    )
    assert_error(
        admin.post(
            f"/api/v1/admin/products/{sku}/promotions",
            json={"name": "tz", "percent_off": 10, "timezone": "Mars/Olympus"},
        ),
        400,
        "validation_error",
    )


def test_stock_report(admin, sku):
    import_text(admin, sku, b"R1\nR2\n")
    row = next(r for r in admin.get("/api/v1/admin/stock").json()["items"] if r["sku"] == sku)
    assert (row["available"], row["reserved"], row["sold"], row["counted"]) == (2, 0, 0, True)


def test_an_inactive_product_in_a_new_category_is_created(api, admin):
    product = new_product(category=unique("新类"), active=False)
    created = admin.post("/api/v1/admin/products", json=product)
    assert created.status_code == 201, created.text
    assert created.json()["sku"] == product["sku"] and created.json()["category"] == product["category"]
    assert api.get(f"/api/v1/products/{product['sku']}").status_code == 404  # not sold while inactive
    categories = [c["name"] for c in admin.get("/api/v1/admin/categories").json()["items"]]
    assert product["category"] in categories
    assert admin.post("/api/v1/admin/products", json=product).status_code == 409  # it exists


def test_multipart_is_parsed_by_the_import_route_only(api, admin, sku):
    files = {"file": ("codes.txt", b"M1\nM2\n", "text/plain")}
    assert admin.post(f"/api/v1/admin/products/{sku}/codes", files=files).json()["imported"] == 2
    for path in ("/api/v1/orders", "/admin/login", f"/products/{sku}"):
        assert_error(api.post(path, files={"csrf": ("x", b"x")}), 415, "unsupported_media_type")

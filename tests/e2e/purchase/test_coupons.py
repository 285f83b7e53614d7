"""Coupons through HTTP, every service, the real broker and database (issue 22): the admin API,
the discounted price charged, 409 `coupon_unavailable`, and the coupon given back when its order
expires, is cancelled, rejected or refunded."""

import re

import pytest

from services.common.testing import unique, wait_until
from tests.e2e.helpers import Api, assert_error, csrf_of, start_system
from tests.e2e.purchase.helpers import card_product, order_of, pay, stock, wait_status


def new_coupon(admin, **fields):
    body = {"code": unique("cp").replace("-", ""), "name": "test", "kind": "amount", "amount_off": "2.00", **fields}
    created = admin.post("/api/v1/admin/coupons", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def redeemed(admin, coupon):
    return next(c for c in admin.get("/api/v1/admin/coupons").json()["items"] if c["id"] == coupon["id"])["redeemed"]


def buy_with(api, sku, code, contact="coupon-buyer@example.com", quantity=1):
    body = {"sku": sku, "quantity": quantity, "contact": contact, "payment_channel": "sandbox", "coupon": code}
    return api.post("/api/v1/orders", json=body)


def test_the_admin_api_creates_lists_and_deactivates_coupons(api, admin):
    made = new_coupon(
        admin, kind="percent", amount_off=None, percent_off=20, max_off="5.00", min_total="10.00", per_buyer_limit=1
    )
    assert (made["percent_off"], made["max_off"], made["min_total"], made["amount_off"]) == (20, "5.00", "10.00", None)
    assert made["code"] == made["code"].upper() and made["redeemed"] == 0 and made["active"] is True
    assert_error(
        admin.post("/api/v1/admin/coupons", json={**made_body(made), "code": made["code"].lower()}), 409, "conflict"
    )
    for bad in (
        {"kind": "percent"},  # no percent_off
        {"kind": "amount", "amount_off": 2},  # money is a string
        {"kind": "amount", "amount_off": "2.00", "scope": "sku"},  # which SKU?
        {"kind": "amount", "amount_off": "2.00", "extra": 1},
    ):
        assert_error(
            admin.post("/api/v1/admin/coupons", json={"code": unique("bad"), "name": "x", **bad}),
            400,
            "validation_error",
        )
    assert any(c["id"] == made["id"] for c in admin.get("/api/v1/admin/coupons").json()["items"])
    ended = admin.delete(f"/api/v1/admin/coupons/{made['id']}")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert not any(
        c["id"] == made["id"] for c in admin.get("/api/v1/admin/coupons", params={"active": "true"}).json()["items"]
    )
    assert_error(admin.delete("/api/v1/admin/coupons/999999999"), 404, "not_found")
    assert_error(api.get("/api/v1/admin/coupons"), 401, "unauthorized")


def made_body(made):
    return {"code": made["code"], "name": made["name"], "kind": "amount", "amount_off": "1.00"}


def test_an_order_is_charged_the_discounted_total_and_shows_its_coupon(api, admin):
    sku = card_product(admin, codes=3, price="9.90")
    coupon = new_coupon(admin, amount_off="3.00", min_total="19.80", scope="sku", scope_value=sku)
    assert_error(buy_with(api, sku, coupon["code"]), 409, "coupon_unavailable")  # 9.90 is below the threshold
    created = buy_with(api, sku, coupon["code"].lower(), quantity=2)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["amount"] == "16.80" and order["coupon"] == coupon["code"] and order["discount"] == "3.00"
    assert pay(api, order).status_code == 200
    done = wait_status(api, order, "completed")
    assert done["amount"] == "16.80" and len(done["items"]) == 2
    seen = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()
    assert seen["price_rule"]["coupon"] == {"code": coupon["code"], "coupon_id": coupon["id"], "discount": 300}
    payment = admin.get(f"/api/v1/admin/orders/{order['order_no']}/payment").json()
    assert (payment["status"], payment["amount"]) == ("paid", "16.80")  # the saga charged the discounted total
    assert redeemed(admin, coupon) == 1


def test_unknown_expired_and_used_up_coupons_are_409_and_hold_nothing(api, admin):
    sku = card_product(admin, codes=2)
    expired = new_coupon(admin, valid_from="2020-01-01T00:00:00Z", valid_until="2020-02-01T00:00:00Z")
    single = new_coupon(admin, single_use=True)
    for code in ("NO-SUCH-COUPON", expired["code"]):
        error = assert_error(buy_with(api, sku, code), 409, "coupon_unavailable")
        assert error["details"]["reason"] in {"unknown", "expired"}
    assert buy_with(api, sku, single["code"]).status_code == 201
    used_up = assert_error(buy_with(api, sku, single["code"], contact="other@example.com"), 409, "coupon_unavailable")
    assert used_up["details"]["reason"] == "used_up"
    assert stock(api, sku) == 1  # only the order that got the coupon holds a code


def test_a_cancelled_order_gives_its_single_use_coupon_back(api, admin):
    sku = card_product(admin, codes=2)
    coupon = new_coupon(admin, single_use=True)
    order = buy_with(api, sku, coupon["code"]).json()
    cancelled = api.post(f"/api/v1/orders/{order['order_no']}/cancel", headers={"X-Order-Token": order["token"]})
    assert cancelled.status_code == 200
    wait_until(lambda: redeemed(admin, coupon) == 0, message="coupon given back")
    assert buy_with(api, sku, coupon["code"], contact="next@example.com").status_code == 201


def test_a_rejected_order_gives_its_coupon_back(api, admin):
    sku = card_product(admin, codes=2)
    coupon = new_coupon(admin, single_use=True)
    contact = f"{unique('banned')}@example.com"
    listed = admin.post("/api/v1/admin/risk/blacklist", json={"kind": "contact", "value": contact})
    assert listed.status_code == 201, listed.text
    try:
        answer = buy_with(api, sku, coupon["code"], contact=contact)
        order = answer.json()
        assert answer.status_code == 201, answer.text
        wait_status(api, order, "rejected")
        wait_until(lambda: redeemed(admin, coupon) == 0, message="coupon given back")
        wait_until(lambda: stock(api, sku) == 2, message="stock given back")
    finally:
        admin.delete(f"/api/v1/admin/risk/blacklist/{listed.json()['id']}")


def test_a_refunded_order_gives_its_coupon_back(api, admin):
    sku = card_product(admin, codes=2)
    coupon = new_coupon(admin, total_limit=1)
    order = buy_with(api, sku, coupon["code"]).json()
    pay(api, order)
    wait_status(api, order, "completed")
    assert redeemed(admin, coupon) == 1
    refunded = admin.post(f"/api/v1/admin/orders/{order['order_no']}/refund", json={"reason": "buyer asked"})
    assert refunded.status_code == 200, refunded.text
    wait_status(api, order, "refunded")
    wait_until(lambda: redeemed(admin, coupon) == 0, message="coupon given back")
    assert order_of(api, order)["coupon"] == coupon["code"]  # the order keeps what it used


@pytest.fixture
def short_window(config, runner_factory, seeded):
    """The whole system with a 2-second payment window: (api, admin)."""
    config["PAYMENT_WINDOW_S"] = 2
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client, Api(config["BASE_URL"]) as admin_client:
        admin_client.headers["Authorization"] = f"Bearer {config['ADMIN_TOKEN']}"
        yield client, admin_client


def test_an_expired_order_gives_its_coupon_back(short_window):
    api, admin = short_window
    sku = card_product(admin, codes=2)
    coupon = new_coupon(admin, per_buyer_limit=1)
    order = buy_with(api, sku, coupon["code"], contact="Expiring@Example.com").json()
    again = buy_with(api, sku, coupon["code"], contact="expiring@example.com")  # the same buyer, other case
    assert assert_error(again, 409, "coupon_unavailable")["details"]["reason"] == "buyer_limit"
    wait_status(api, order, "expired")
    wait_until(lambda: redeemed(admin, coupon) == 0, message="coupon given back")
    assert buy_with(api, sku, coupon["code"], contact="expiring@example.com").status_code == 201


def checkout_page(api, sku, **fields):
    page = api.get(f"/products/{sku}")
    assert 'name="coupon"' in page.text and "disabled placeholder" not in page.text
    form = {
        "csrf": csrf_of(page),
        "idem": re.search(r'name="idem" value="([^"]*)"', page.text).group(1),
        "quantity": "1",
        "contact": "web-coupon@example.com",
        "payment_channel": "sandbox",
        **fields,
    }
    return api.post(f"/products/{sku}", data=form, allow_redirects=False)


def test_the_storefront_takes_a_coupon_and_shows_the_discount(api, admin):
    sku = card_product(admin, codes=2, price="9.90")
    coupon = new_coupon(admin, kind="percent", amount_off=None, percent_off=10)
    refused = checkout_page(api, sku, coupon="NOPE-NOT-A-COUPON")
    assert refused.status_code == 409 and 'value="NOPE-NOT-A-COUPON"' in refused.text  # kept on the form
    assert "优惠券" in refused.text and "alert-error" in refused.text
    placed = checkout_page(api, sku, coupon=coupon["code"].lower())
    assert placed.status_code == 303, placed.text
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    page = api.get(f"/orders/{order_no}", params={"lang": "en"})
    assert "¥8.91" in page.text and coupon["code"] in page.text and '−<span class="money">¥0.99' in page.text


def test_the_console_lists_creates_and_deactivates_coupons(console):
    page = console.get("/admin/coupons")
    assert page.status_code == 200 and 'id="coupon-add"' in page.text
    csrf = csrf_of(page)
    code = unique("web").replace("-", "").upper()
    form = {"code": code, "name": "满100减10", "kind": "amount", "amount_off": "10.00", "min_total": "100.00"}
    added = console.post("/admin/coupons", data={**form, "per_buyer_limit": "1", "csrf": csrf}, allow_redirects=False)
    assert added.status_code == 303
    listed = console.get("/admin/coupons")
    coupon_id = re.search(rf'<tr id="coupon-(\d+)"><td><code>{code}</code>', listed.text).group(1)
    assert "满 ¥100.00 减 ¥10.00" in listed.text
    again = console.post("/admin/coupons", data={**form, "csrf": csrf})
    assert again.status_code == 409
    bad = console.post("/admin/coupons", data={**form, "code": "x" + code, "kind": "percent", "csrf": csrf})
    assert bad.status_code == 400 and "percent_off" in bad.text
    ended = console.post(f"/admin/coupons/{coupon_id}/deactivate", data={"csrf": csrf}, allow_redirects=False)
    assert ended.status_code == 303
    assert f'<tr id="coupon-{coupon_id}" class="muted">' in console.get("/admin/coupons").text

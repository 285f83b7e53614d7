"""A multi-spec product (issue 24) in a real browser: the group's one tile, a spec chosen on its
product page, the wholesale tier in the total, then paid and the codes shown."""

import re

from playwright.sync_api import expect

from services.common.testing import unique
from tests.e2e.browser.helpers import PHONE, shoot
from tests.e2e.browser.test_scenarios import pay_in_sandbox_and_wait_for_codes


def spec(admin, group_id, name, label, price, codes, sort_order):
    sku = unique("SPEC")
    created = admin.post(
        "/api/v1/admin/products",
        json={
            "sku": sku,
            "name": f"{name} {label}",
            "category": "测试",
            "price": price,
            "delivery": "card",
            "max_quantity": 20,
            "group_id": group_id,
            "spec_label": label,
            "sort_order": sort_order,
        },
    )
    assert created.status_code == 201, created.text
    if not codes:
        return sku
    lines = "".join(f"{sku}-C{n:04d}\n" for n in range(codes)).encode()
    assert admin.post(f"/api/v1/admin/products/{sku}/codes", data=lines, headers={"Content-Type": "text/plain"}).ok
    return sku


def test_a_buyer_chooses_a_spec_buys_at_the_wholesale_tier_and_sees_the_codes(new_context, admin):
    name = unique("充值卡")
    group = admin.post("/api/v1/admin/product-groups", json={"name": name, "description": "三种面值"}).json()
    s50, s100, s200 = (
        spec(admin, group["id"], name, label, price, codes, n)
        for n, (label, price, codes) in enumerate(
            [("50 元", "50.00", 3), ("100 元", "100.00", 12), ("200 元", "200.00", 0)]
        )
    )
    tiers = {"tiers": [{"min_quantity": 10, "price": "95.00"}]}
    assert admin.put(f"/api/v1/admin/products/{s100}/wholesale-tiers", json=tiers).status_code == 200

    page = new_context(PHONE).new_page()
    page.goto(f"/?q={name}")
    tile = page.locator("a.tile")
    expect(tile).to_have_count(1)  # one tile for the three specs
    expect(tile).to_contain_text(name)
    expect(tile.locator(".tile-specs")).to_have_text("3 种规格")
    expect(tile.locator(".money")).to_have_text("¥50.00")
    tile.click()
    expect(page).to_have_url(re.compile(rf"/products/{s50}$"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#specs a.spec")).to_have_text(["50 元", "100 元", "200 元"])
    expect(page.locator(f'#specs a[data-spec="{s200}"]')).to_have_class(re.compile(r"\bout\b"))  # no codes
    expect(page.locator("#tiers")).to_have_count(0)

    page.locator(f'#specs a[data-spec="{s100}"]').click()
    expect(page).to_have_url(re.compile(rf"/products/{s100}$"))
    expect(page.locator(f'#specs a[data-spec="{s100}"]')).to_have_attribute("aria-current", "page")
    expect(page.locator(".price-row .money")).to_have_text("¥100.00")
    expect(page.locator("#tiers li")).to_contain_text("满 10 件，每件 ¥95.00")
    page.locator('input[name="contact"]').fill("spec-buyer@example.com")
    page.locator('input[name="quantity"]').fill("9")
    expect(page.locator("[data-total]")).to_contain_text("900.00")
    page.locator('[data-step="1"]').click()  # 10: the tier's price
    expect(page.locator("[data-total]")).to_contain_text("950.00")
    shoot(page, "store-specs-phone")
    page.locator("form.checkout button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+$"))
    expect(page.locator("body")).to_contain_text("950.00")  # the order's amount: the catalog's quote
    pay_in_sandbox_and_wait_for_codes(page)
    shoot(page, "store-specs-codes-phone")
    codes = [page.locator(f"#code-{n}").inner_text() for n in range(1, 11)]
    assert codes == [f"{s100}-C{n:04d}" for n in range(10)]

"""The console's operator pages in Chromium (issue 23): what their small scripts and the phone
layout do."""

import re

from playwright.sync_api import expect

from services.common.testing import unique
from tests.e2e.browser.helpers import shoot
from tests.e2e.browser.test_scenarios import signed_in_console
from tests.e2e.purchase.helpers import buy, card_product
from tests.e2e.risk.helpers import REVIEW_BIG

PHONE_390 = {"width": 390, "height": 844}


def test_an_import_updates_the_counters_and_names_its_rejected_lines(new_context, admin, tmp_path):
    sku = card_product(admin, codes=2)
    page = signed_in_console(new_context, admin)
    page.goto(f"/admin/products/{sku}")
    expect(page.locator("#available")).to_have_text("2")
    codes = tmp_path / "codes.txt"
    codes.write_text(f"{sku}-a\n\n{sku}-b,pw,2027-13-01\n{sku}-c\n\n\n")  # line 2 blank, line 3 bad, trailing blanks
    page.locator('#import input[type="file"]').set_input_files(str(codes))
    page.locator("#import button[type=submit]").click()
    expect(page.locator("#import [data-imported]")).to_have_attribute("data-imported", "2")
    expect(page.locator("#available")).to_have_text("4")  # no reload
    rejected = page.locator("#import [data-rejected] li")
    expect(rejected).to_have_count(2)
    expect(rejected.nth(0)).to_contain_text("第 2 行")
    expect(rejected.nth(1)).to_contain_text("第 3 行")
    expect(page.locator("#import [data-result]")).to_contain_text("拒绝 2 行")


def test_the_review_countdown_ticks(new_context, admin, api):
    admin.put("/api/v1/admin/risk/rules", json=REVIEW_BIG)
    try:
        order = buy(api, card_product(admin, codes=3), quantity=2).json()
        assert order["status"] == "review"
        page = signed_in_console(new_context, admin)
        page.goto("/admin/risk")
        clock = page.locator(f"#review-{order['order_no']} [data-left]")
        first = clock.inner_text()
        assert re.fullmatch(r"(29|30):\d\d", first)
        expect(clock).not_to_have_text(first, timeout=3_000)
        assert re.fullmatch(r"(29|30):\d\d", clock.inner_text())
    finally:  # the test database is shared by the whole run
        admin.put("/api/v1/admin/risk/rules", json={})


def test_on_a_phone_the_dashboard_figures_stay_on_one_line_and_the_stock_columns_in_view(new_context, admin):
    sku = unique("PHONE_LONG_SKU_NAME").replace("-", "_")  # no place to break a line
    made = admin.post(
        "/api/v1/admin/products",
        json={
            "sku": sku,
            "name": "很长很长的商品名称" * 4,
            "category": "测试",
            "price": "1.00",
            "delivery": "card",
            "low_stock_threshold": 100000,
        },
    )
    assert made.status_code == 201, made.text
    admin.post(f"/api/v1/admin/products/{sku}/codes", data=b"P1\nP2\n", headers={"Content-Type": "text/plain"})
    page = signed_in_console(new_context, admin)
    page.set_viewport_size(PHONE_390)
    page.goto("/admin")
    cell = page.locator(f'tr.row-low:has(a[href="/admin/products/{sku}"]) td.num')
    expect(cell).to_have_text(re.compile(r"2\s*/\s*100000"))
    line = float(cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20"))
    height = (
        "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect().height; }"
    )
    text = float(cell.evaluate(height))
    assert text < 1.5 * line, "the figure is on one line"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_390["width"], "nothing runs off the side"
    shoot(page, "admin-dashboard-phone")
    page.goto("/admin/products")
    row = page.locator(f'#products tr:has(a[href="/admin/products/{sku}"])')
    for column in (3, 4, 5):
        box = row.locator(f"td:nth-child({column})").bounding_box()
        assert box["x"] + box["width"] <= PHONE_390["width"], f"column {column} is in view"
    shoot(page, "admin-products-phone")

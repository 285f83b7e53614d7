"""The storefront as a new buyer meets it (issue 23, second pass), in Chromium."""

from playwright.sync_api import expect

from tests.e2e.browser.helpers import DESKTOP, PHONE
from tests.e2e.purchase.helpers import card_product

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


def test_the_live_total_keeps_to_the_product_bounds(new_context, admin):
    sku = card_product(admin, codes=10, max_quantity=5, price="9.90")
    page = new_context(PHONE_390).new_page()
    page.goto(f"/products/{sku}")
    qty, total, bound = (
        page.locator('input[name="quantity"]'),
        page.locator("[data-total]"),
        page.locator(".bound-message"),
    )
    qty.fill("9999")
    expect(bound).to_have_text("数量须在 1–5 之间")
    expect(total).to_be_hidden()
    assert "959" not in page.locator("form.checkout").inner_text()
    qty.fill("1.5")
    expect(bound).to_have_text("数量须为整数（1–5）")
    qty.fill("0")
    expect(bound).to_have_text("数量须在 1–5 之间")
    qty.fill("3")
    expect(bound).to_be_hidden()
    expect(total).to_contain_text("29.70")
    qty.fill("9999")
    page.locator('[data-step="-1"]').click()  # the stepper brings it back inside
    expect(qty).to_have_value("5")
    expect(total).to_contain_text("49.50")


def test_the_live_total_bounds_on_a_desktop_in_english(new_context, admin):
    sku = card_product(admin, codes=10, max_quantity=5, price="9.90")
    page = new_context(DESKTOP).new_page()
    page.goto(f"/products/{sku}?lang=en")
    page.locator('input[name="quantity"]').fill("6")
    expect(page.locator(".bound-message")).to_have_text("Quantity must be 1–5")
    page.locator('input[name="contact"]').fill("bounds@example.com")
    page.locator("form.checkout button[type=submit]").click()  # the browser keeps the form
    expect(page).to_have_url(f"/products/{sku}?lang=en")

"""A timed campaign in a real browser (Chromium through Playwright): the product page shows the
campaign price and a countdown to the window's end that ticks (gateway/static/campaigns.js; the
page has no inline script, and the CSP would refuse one); the shop shows the banner."""

import re

from playwright.sync_api import expect

from tests.e2e.browser.helpers import PHONE, shoot
from tests.e2e.campaigns.helpers import create_campaign, running_now
from tests.e2e.purchase.helpers import card_product


def test_the_countdown_shows_and_ticks_on_the_product_page(new_context, admin):
    sku = card_product(admin, codes=2, price="9.90")
    campaign = create_campaign(admin, running_now([sku], percent_off=20))
    page = new_context(PHONE).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"/products/{sku}")
    deal = page.locator("#deal")
    expect(deal).to_contain_text(campaign["name"])
    expect(page.locator(".price-row .big-price")).to_contain_text("7.92")
    expect(page.locator("[data-total]")).to_contain_text("7.92")  # the checkout counts at the campaign price
    clock = deal.locator("[data-clock]")
    expect(clock).to_have_text(re.compile(r"^1:5\d:\d\d$|^2:00:00$"))
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=3000)  # it ticks
    left = int(deal.locator("[data-countdown]").get_attribute("data-left"))
    assert 6600 < left <= 7200
    shoot(page, "store-campaign-product-phone")
    page.goto("/")
    expect(page.locator("#campaigns")).to_contain_text(campaign["name"])
    assert errors == []  # no CSP violation, no script error
    admin.delete(f"/api/v1/admin/campaigns/{campaign['id']}")

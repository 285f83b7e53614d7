"""Points and a referral in a real browser (issue 22): a person follows a friend's referral link,
signs up, buys, sees the points on their page, and spends some at checkout; the friend gets the
cashback."""

import re

from playwright.sync_api import expect

from services.common.testing import wait_until
from tests.e2e.account.helpers import PASSWORD, new_email
from tests.e2e.account.test_points_referrals import member, system_settings  # noqa: F401 (the system: trusted proxy)
from tests.e2e.browser.helpers import PHONE, shoot
from tests.e2e.browser.test_scenarios import pay_in_sandbox_and_wait_for_codes
from tests.e2e.purchase.helpers import card_product


def buy(page, sku, email, points=None):
    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill(email)
    if points is not None:
        page.locator('input[name="points"]').fill(str(points))
    page.locator("form.checkout button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+$"))


def test_a_referred_buyer_earns_and_spends_points_and_the_friend_gets_cashback(system, new_context, admin):
    sku = card_product(admin, codes=3, price="9.90")
    friend = member(system, "198.51.100.80")
    code = friend.get("/api/v1/account/referral").json()["code"]
    email = new_email()
    page = new_context(PHONE, extra_http_headers={"X-Forwarded-For": "198.51.100.81"}).new_page()
    page.goto(f"/r/{code}")
    expect(page).to_have_url(re.compile(r"/account/sign-up$"))
    page.locator('#sign-up input[name="email"]').fill(email)
    page.locator('#sign-up input[name="password"]').fill(PASSWORD)
    page.locator("#sign-up button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=welcome$"))
    expect(page.locator("#referral-link")).to_contain_text("/r/")

    buy(page, sku, email)
    pay_in_sandbox_and_wait_for_codes(page)
    page.goto("/account")
    expect(page.locator("#points [data-points-balance]")).to_have_text("9")
    shoot(page, "account-points-phone")

    buy(page, sku, email, points=5)
    expect(page.locator(".big-price").first).to_contain_text("9.85")
    expect(page.locator("#points-used")).to_have_text("5")
    shoot(page, "order-paid-with-points-phone")
    wait_until(
        lambda: friend.get("/api/v1/account/referral").json()["wallet"] == "0.49", timeout=15, message="the cashback"
    )

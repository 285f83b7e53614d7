"""A buyer with an account, in a real browser (Chromium through Playwright): sign up, buy, and
find the order and its codes in the history."""

import re

from playwright.sync_api import expect

from tests.e2e.account.helpers import PASSWORD, new_email
from tests.e2e.browser.helpers import PHONE, shoot
from tests.e2e.browser.test_scenarios import pay_in_sandbox_and_wait_for_codes
from tests.e2e.purchase.helpers import card_product


def test_a_buyer_signs_up_buys_and_sees_the_order_history(new_context, admin):
    sku = card_product(admin, codes=2, price="9.90")
    email = new_email()
    page = new_context(PHONE).new_page()
    page.goto("/")
    page.locator('nav a[href="/account"]').click()
    expect(page).to_have_url(re.compile(r"/account/sign-in$"))
    page.locator('a[href="/account/sign-up"]').first.click()
    page.locator('#sign-up input[name="email"]').fill(email)
    page.locator('#sign-up input[name="password"]').fill("password1234")  # a breached one first
    page.locator("#sign-up button[type=submit]").click()
    expect(page.locator("#sign-up .field-error")).to_contain_text("common")
    page.locator('#sign-up input[name="password"]').fill(PASSWORD)
    shoot(page, "account-sign-up-phone")
    page.locator("#sign-up button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/account\?done=welcome$"))
    expect(page.locator("#profile")).to_contain_text(email)
    shoot(page, "account-profile-phone")

    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill(email)
    page.locator("form.checkout button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+$"))
    order_no = page.url.rsplit("/", 1)[1]
    pay_in_sandbox_and_wait_for_codes(page)

    page.goto("/account")
    page.locator("#my-orders").click()
    expect(page).to_have_url(re.compile(r"/account/orders$"))
    history = page.locator("#order-history")
    expect(history.locator(f"#order-{order_no}")).to_contain_text(f"{sku}-C0000")
    shoot(page, "account-orders-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"
    page.goto("/account")
    page.locator("#sign-out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/account/orders")
    expect(page).to_have_url(re.compile(r"/account/sign-in$"))

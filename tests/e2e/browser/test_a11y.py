"""Accessibility (issue 23): axe-core, from the pinned axe-playwright-python package, run over
every storefront and console page in a real browser; no serious or critical finding is allowed.
Every page also has exactly one h1 and a skip link to its main content."""

import re
from pathlib import Path

import axe_playwright_python
from playwright.sync_api import expect

from services.common.testing import unique
from tests.e2e.account.helpers import PASSWORD, new_email
from tests.e2e.agents.helpers import Agents
from tests.e2e.browser.helpers import DESKTOP, PHONE
from tests.e2e.browser.test_scenarios import pay_in_sandbox_and_wait_for_codes
from tests.e2e.helpers import new_staff, totp_code
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status

AXE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = {"serious", "critical"}


def findings(page):
    """axe's serious and critical violations on the page, one line per element."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE)  # the context bypasses the CSP, which forbids inline scripts
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{page.url}: [{v['impact']}] {v['id']} ({v['help']}) at {', '.join(map(str, node['target']))}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def check(page, problems):
    """Collects the page's axe findings, and checks its single h1 and its skip link."""
    page.wait_for_load_state("load")
    problems += findings(page)
    h1 = page.locator("h1").count()
    if h1 != 1:
        problems.append(f"{page.url}: {h1} h1 elements, not 1")
    skip = page.locator("a.skip-link")
    if skip.count() != 1 or skip.get_attribute("href") != "#main" or page.locator("#main").count() != 1:
        problems.append(f"{page.url}: no skip link to #main")


def open_ticket(page, problems):
    """From an order page: the tickets page, then a new ticket's page; returns the ticket id."""
    page.locator("#open-ticket").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+/tickets$"))
    check(page, problems)
    page.locator('#new-ticket select[name="category"]').select_option("code_invalid")
    page.locator('#new-ticket textarea[name="message"]').fill("the code says it was used already")
    page.locator("#new-ticket button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+/tickets/\w+(\?.*)?$"))
    check(page, problems)
    return page.url.split("?")[0].rsplit("/", 1)[1]


def assert_clean(problems):
    for line in problems:
        print(line)
    assert not problems, "accessibility findings:\n" + "\n".join(problems)


def test_every_storefront_page_passes_axe(new_context, admin, api):
    sku = card_product(admin, codes=3, price="9.90", category="无障碍")
    empty = card_product(admin, codes=0, category="无障碍")
    problems: list[str] = []
    page = new_context(PHONE, bypass_csp=True).new_page()
    store = ("/", "/?category=无障碍", f"/products/{sku}", f"/products/{empty}", "/products/DEMO-MOBILE-50", "/find")
    for path in store:
        page.goto(path)
        check(page, problems)
    page.goto("/")
    expect(page.locator(f'a[href="/products/{empty}"] .stock')).to_be_visible()

    # a checkout refused: the contact is not an email or a phone number
    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill("not a contact")
    page.evaluate("document.querySelector('form.checkout').noValidate = true")
    page.locator("form.checkout button[type=submit]").click()
    expect(page.locator(".alert-error, .field-error").first).to_be_visible()
    check(page, problems)

    # the order page, before and after payment (with its codes and the copy-all box)
    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill(f"{unique('a11y')}@example.com")
    page.locator('[data-step="1"]').click()
    page.locator("form.checkout button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/orders/K\w+$"))
    check(page, problems)
    pay_in_sandbox_and_wait_for_codes(page)
    check(page, problems)
    open_ticket(page, problems)
    page.goto("/products/NO-SUCH-SKU")  # the error page
    check(page, problems)

    accounts = new_context(PHONE, bypass_csp=True).new_page()
    for path in ("/account/sign-in", "/account/sign-up", "/agent/sign-in"):
        accounts.goto(path)
        check(accounts, problems)
    accounts.goto("/account/sign-up")
    accounts.locator('#sign-up input[name="email"]').fill(new_email())
    accounts.locator('#sign-up input[name="password"]').fill("password1234")  # a breached one: refused
    accounts.locator("#sign-up button[type=submit]").click()
    expect(accounts.locator("#sign-up .field-error")).to_be_visible()
    check(accounts, problems)
    accounts.locator('#sign-up input[name="password"]').fill(PASSWORD)
    accounts.locator("#sign-up button[type=submit]").click()
    expect(accounts.locator("#profile")).to_be_visible()
    check(accounts, problems)
    accounts.goto("/account/orders")
    check(accounts, problems)
    english = new_context(DESKTOP, bypass_csp=True).new_page()
    english.goto("/?lang=en")
    check(english, problems)
    english.goto(f"/products/{sku}")
    check(english, problems)
    assert_clean(problems)


CONSOLE = (
    "/admin",
    "/admin/products",
    "/admin/orders",
    "/admin/buyers",
    "/admin/suppliers",
    "/admin/levels",
    "/admin/coupons",
    "/admin/notifications",
    "/admin/campaigns",
    "/admin/analytics",
    "/admin/risk",
    "/admin/risk/lists",
    "/admin/risk/rules",
    "/admin/support",
    "/admin/staff",
    "/admin/account",
)


def test_every_console_page_passes_axe(new_context, admin, api):
    sku = card_product(admin, codes=2)
    order = buy(api, sku).json()
    pay(api, order)
    wait_status(api, order, "completed")
    problems: list[str] = []
    buyer = new_context(PHONE, bypass_csp=True).new_page()
    buyer.goto(f"/products/{sku}")
    buyer.locator('input[name="contact"]').fill(f"{unique('a11y')}@example.com")
    buyer.locator("form.checkout button[type=submit]").click()
    expect(buyer).to_have_url(re.compile(r"/orders/K\w+$"))
    ticket_id = open_ticket(buyer, problems)
    member = new_staff(api, "owner")
    page = new_context(DESKTOP, bypass_csp=True).new_page()
    page.goto("/admin/login")
    check(page, problems)
    page.locator('input[name="email"]').fill(member["email"])
    page.locator('input[name="password"]').fill(member["password"])
    page.locator("form.login button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/enrol$"))
    check(page, problems)
    member["secret"] = page.locator("#totp-secret").inner_text()
    page.locator('input[name="code"]').fill(totp_code(member))
    page.locator("#enrol button[type=submit]").click()
    expect(page.locator("[data-recovery-code]")).to_have_count(10)
    check(page, problems)
    page.locator("#to-console").click()
    expect(page.locator("#sales-today")).to_be_visible()
    pages = (f"/admin/products/{sku}", f"/admin/orders/{order['order_no']}", f"/admin/support/{ticket_id}")
    for path in (*CONSOLE, *pages):
        page.goto(path)
        assert "/admin/login" not in page.url, path
        check(page, problems)
    assert_clean(problems)


def test_the_agent_console_and_an_agent_sub_store_pass_axe(new_context, system, admin):
    agents = Agents(system)
    level = agents.level()
    sku = card_product(admin, codes=1)
    assert admin.put(f"/api/v1/admin/products/{sku}/level-prices/agent:{level}", json={"price": "8.00"}).ok
    agent = agents.agent(level, markup_bp=1000)
    key = agents.key(agent)
    slug = unique("a11y").lower().replace("_", "-")[:32]
    agents.call("change_agent_store", agent, {"store_name": unique("小店"), "slug": slug, "retail_markup_bp": 2000})
    problems: list[str] = []
    page = new_context(DESKTOP, bypass_csp=True).new_page()
    page.goto("/agent/sign-in")
    page.locator('#agent-sign-in input[name="key_id"]').fill(key["key_id"])
    page.locator('#agent-sign-in input[name="secret"]').fill(key["secret"])
    page.locator("#agent-sign-in button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/agent$"))
    for path in ("/agent", "/agent/sales", "/agent/commissions", "/agent/sub-agents", "/agent/links", "/agent/store"):
        page.goto(path)
        assert "/agent/sign-in" not in page.url, path
        check(page, problems)
    shop = new_context(PHONE, bypass_csp=True).new_page()
    for path in (f"/s/{slug}/", f"/s/{slug}/products/{sku}"):
        shop.goto(path)
        expect(shop.locator("form.search, form.checkout")).to_have_count(1)  # the store, not an error
        check(shop, problems)
    assert_clean(problems)

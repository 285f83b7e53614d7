"""The agent console in a real browser (Chromium through Playwright): an agent signs in with its
key, sees a sub-agent's sale and its own commission on it, and downloads its statement as CSV."""

import re
from pathlib import Path

from playwright.sync_api import expect

from services.common.testing import unique
from tests.e2e.agents.helpers import Agents, Shop, delivered
from tests.e2e.browser.helpers import DESKTOP, shoot
from tests.e2e.helpers import Api, new_product


def test_an_agent_signs_in_sees_a_sale_and_its_commission_and_downloads_the_statement(new_context, system, admin):
    agents = Agents(system)
    level = agents.level()
    product = new_product(price="9.90", low_stock_threshold=0)
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    sku = product["sku"]
    assert admin.put(f"/api/v1/admin/products/{sku}/level-prices/agent:{level}", json={"price": "8.00"}).ok
    assert admin.post(f"/api/v1/admin/products/{sku}/codes", data=b"BR-1,PW-1\n").json()["imported"] == 1
    top = agents.agent(level, markup_bp=1000)
    top_key = agents.key(top)
    sub = agents.agent(level, parent=top)
    agents.top_up(sub, 2000)
    with Api(system["BASE_URL"]) as api:
        shop = Shop(api, sub, agents.key(sub))
        body = {"agent_order_id": unique("B-"), "sku": sku, "quantity": 1}
        order_no = shop.order(body).json()["order_no"]
        delivered(shop, body["agent_order_id"], "completed")

    page = new_context(DESKTOP, accept_downloads=True).new_page()
    page.goto("/agent")
    expect(page).to_have_url(re.compile(r"/agent/sign-in$"))
    page.locator('#agent-sign-in input[name="key_id"]').fill(top_key["key_id"])
    page.locator('#agent-sign-in input[name="secret"]').fill("not-the-secret")
    page.locator("#agent-sign-in button[type=submit]").click()
    expect(page.locator(".alert-error")).to_be_visible()
    page.locator('#agent-sign-in input[name="secret"]').fill(top_key["secret"])
    page.locator("#agent-sign-in button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/agent$"))
    expect(page.locator("#pending")).to_contain_text("0.80")
    shoot(page, "agent-console-desktop")

    page.locator("#tab-commissions").click()
    row = page.locator(f"#commission-{order_no}")
    expect(row).to_contain_text("0.80")
    expect(row.locator(".badge-pending")).to_be_visible()
    shoot(page, "agent-commissions-desktop")
    page.locator("#tab-sub-agents").click()
    expect(page.locator(f"#sub-{sub}")).to_contain_text("11.20")  # its wallet: 20.00 - 8.80

    with page.expect_download() as download:
        page.locator("#statement-csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "id,created_at,kind,order_no,memo,amount,balance"

    seller = new_context(DESKTOP).new_page()
    agents_key = agents.key(sub)
    seller.goto("/agent/sign-in")
    seller.locator('#agent-sign-in input[name="key_id"]').fill(agents_key["key_id"])
    seller.locator('#agent-sign-in input[name="secret"]').fill(agents_key["secret"])
    seller.locator("#agent-sign-in button[type=submit]").click()
    seller.locator("#tab-sales").click()
    expect(seller.locator(f"#sale-{order_no}")).to_contain_text("8.80")
    shoot(seller, "agent-sales-desktop")
    with seller.expect_download() as download:
        seller.locator("#statement-csv").click()
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert any(f",order_charged,{order_no},{sku},-8.80,11.20" in line for line in lines), lines

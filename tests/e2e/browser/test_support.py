"""After-sales in a real browser (Chromium through Playwright): a buyer opens a ticket from the
order page with a screenshot attached, staff (signed in with TOTP) find it in the support queue
with its SLA clock ticking and answer it, and the buyer sees the answer."""

import re

from playwright.sync_api import expect

from tests.e2e.browser.helpers import PHONE, shoot
from tests.e2e.browser.test_scenarios import signed_in_console
from tests.e2e.purchase.helpers import card_product

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_buyer_opens_a_ticket_and_staff_answer_it(new_context, admin, api):
    sku = card_product(admin, codes=1)
    buyer = new_context(PHONE).new_page()
    buyer.goto(f"/products/{sku}")
    buyer.locator('input[name="contact"]').fill("help-me@example.com")
    buyer.locator("form.checkout button[type=submit]").click()
    expect(buyer).to_have_url(re.compile(r"/orders/K\w+$"))
    order_no = buyer.url.rsplit("/", 1)[1]

    buyer.locator("#open-ticket").click()
    expect(buyer).to_have_url(re.compile(rf"/orders/{order_no}/tickets$"))
    buyer.locator('#new-ticket select[name="category"]').select_option("code_invalid")
    buyer.locator('#new-ticket textarea[name="message"]').fill("the code says it was used already")
    buyer.locator('#new-ticket input[type="file"]').set_input_files(
        files=[{"name": "screen.png", "mimeType": "image/png", "buffer": PNG}]
    )
    shoot(buyer, "store-ticket-new-phone")
    buyer.locator("#new-ticket button[type=submit]").click()
    expect(buyer).to_have_url(re.compile(rf"/orders/{order_no}/tickets/\w+\?done=attached$"))
    ticket_id = buyer.url.split("?")[0].rsplit("/", 1)[1]
    expect(buyer.locator("#messages")).to_contain_text("the code says it was used already")
    expect(buyer.locator("#attachments")).to_contain_text("screen.png")
    shoot(buyer, "store-ticket-phone")

    staff = signed_in_console(new_context, api)
    staff.goto("/admin/support")
    row = staff.locator(f"#queue-{ticket_id}")
    expect(row).to_be_visible()
    clock = row.locator(".sla")
    expect(clock).to_have_text(re.compile(r"^\d+:\d\d(:\d\d)?$"))
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=3_000)  # it ticks
    shoot(staff, "admin-support-queue")
    row.locator(f'a[href="/admin/support/{ticket_id}"]').click()
    expect(staff.locator("#messages")).to_contain_text("the code says it was used already")
    expect(staff.locator("#attachments a")).to_have_text("screen.png")
    staff.locator("#assign-me button[type=submit]").click()
    expect(staff.locator("#assignee")).to_contain_text("Staff owner")
    staff.locator('#reply textarea[name="body"]').fill("We replaced the code: please try the new one.")
    staff.locator("#reply button[type=submit]").click()
    expect(staff.locator("#sla")).to_have_text("达标")
    shoot(staff, "admin-support-ticket")

    buyer.reload()
    expect(buyer.locator("#messages .message-staff")).to_contain_text("We replaced the code")
    expect(buyer.locator("#ticket-status")).to_have_text("等待您回复")
    buyer.locator('#reply textarea[name="body"]').fill("It works, thank you")
    buyer.locator("#reply button[type=submit]").click()
    expect(buyer.locator("#messages .message-buyer").last).to_contain_text("It works, thank you")
    width = buyer.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways on a phone ({width} px)"

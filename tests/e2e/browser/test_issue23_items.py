"""Issue 23's items as a person sees them in Debian's Chromium: the storefront's checkout errors,
names, shop time, return from paying, paging, announcement, pictures and favicon; the console's
categories, partial refunds, codes, payment records, reports, counted stock, rule form and
timeline. (The same features over plain HTTP: tests/e2e/gateway/test_buyer_pages.py and
test_console_ops.py.)"""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.sync_api import expect

from services.common.testing import unique
from tests.e2e.browser.helpers import DESKTOP, PHONE, check_out_with_lookup_password
from tests.e2e.browser.test_scenarios import signed_in_console
from tests.e2e.gateway.test_console_ops import product_of
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status

SLOW = 15_000  # a step through the saga, on a box shared with other runs
SAY_YES = "window.confirm = () => true"  # dialogs do not reach Playwright here (see test_scenarios)


def order_no_of(page):
    return page.url.split("?")[0].rsplit("/", 1)[1]


def submit_unchecked(page, quantity):
    """Submit the checkout as a browser without the page's checks would: past its script and the
    input's own validation, so the server's answer is what shows."""
    page.locator('input[name="quantity"]').evaluate("(e, v) => { e.type = 'text'; e.value = v; }", quantity)
    page.locator("form.checkout").evaluate("f => f.submit()")
    page.wait_for_load_state()


# Storefront


def test_a_checkout_error_is_in_chinese_with_the_product_bounds(new_context, admin):
    sku = card_product(admin, codes=3, max_quantity=5)
    page = new_context(PHONE).new_page()
    page.goto(f"/products/{sku}")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh"))
    page.locator('input[name="contact"]').fill("bounds@example.com")
    submit_unchecked(page, "0")
    expect(page.locator("small.field-error")).to_have_text(["数量须在 1–5 之间"])
    assert "10000" not in page.locator("main").inner_text()
    page.locator('input[name="contact"]').fill("bounds@example.com")
    submit_unchecked(page, "1.5")
    expect(page.locator("small.field-error")).to_have_text(["数量须为整数（1–5）"])
    assert "/orders/" not in page.url


def test_the_order_page_and_the_find_list_show_the_product_name_and_the_shop_time(new_context, admin):
    sku = card_product(admin, codes=1)
    contact = f"{unique('named')}@example.com"
    page = new_context(PHONE).new_page()
    check_out_with_lookup_password(page, sku, contact, "my secret 1")
    expect(page).to_have_url(re.compile(r"/orders/K\w+$"), timeout=SLOW)
    expect(page.locator(".order-product")).to_have_text(f"卡 {sku}")
    expires = page.locator("[data-expires]").get_attribute("data-expires")
    shop = datetime.fromisoformat(expires.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    expect(page.locator(".countdown")).to_contain_text(f"{shop:%H:%M} (Asia/Shanghai)")
    assert " UTC" not in page.locator("main").inner_text()
    order_no = order_no_of(page)

    finder = new_context(PHONE).new_page()
    finder.goto("/find")
    finder.locator('#find-contact input[name="contact"]').fill(contact)
    finder.locator('#find-contact input[name="password"]').fill("my secret 1")
    finder.locator("#find-contact button[type=submit]").click()
    listed = finder.locator(f'a[href="/orders/{order_no}"]')
    expect(listed).to_contain_text(f"× 卡 {sku} ·")
    expect(listed).to_contain_text("(Asia/Shanghai)")


WATCH_PAY_BUTTON = """
(() => {  // once the pay button is pressed, any page of this tab that offers to pay is noted
  let leaving = false;
  document.addEventListener("submit", (e) => {
    if (e.target.querySelector("#pay-sandbox")) { sessionStorage.setItem("paid", "1"); leaving = true; }
  }, true);
  const look = () => {
    if (!leaving && sessionStorage.getItem("paid") && document.querySelector("#pay-sandbox, .pay-box"))
      sessionStorage.setItem("offered-to-pay", location.href);
  };
  document.addEventListener("DOMContentLoaded", () => {
    look();
    new MutationObserver(look).observe(document.documentElement, {childList: true, subtree: true});
  });
})();
"""


def test_right_after_paying_the_order_page_never_offers_to_pay_again(new_context, admin):
    sku = card_product(admin, codes=2)
    page = new_context(PHONE).new_page()
    page.add_init_script(WATCH_PAY_BUTTON)
    page.goto(f"/products/{sku}")
    page.locator('input[name="contact"]').fill("paid@example.com")
    page.locator("form.checkout button[type=submit]").click()
    expect(page.locator("#pay-sandbox")).to_be_visible(timeout=SLOW)
    page.locator("#pay-sandbox").click()
    # back on ?returned=1, or, when the page's own watch saw the payment first, reloaded
    expect(page).to_have_url(re.compile(r"/orders/K\w+(\?returned=1)?$"), timeout=SLOW)
    expect(page.locator("#code-1")).to_be_visible(timeout=30_000)
    expect(page.locator("#pay-sandbox")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('paid')") == "1"
    assert page.evaluate("sessionStorage.getItem('offered-to-pay')") is None

    unpaid = new_context(PHONE).new_page()  # back from the cashier without paying: it waits, still no button
    unpaid.goto(f"/products/{sku}")
    unpaid.locator('input[name="contact"]').fill("unpaid@example.com")
    unpaid.locator("form.checkout button[type=submit]").click()
    expect(unpaid.locator("#pay-sandbox")).to_be_visible(timeout=SLOW)
    unpaid.goto(unpaid.url + "?returned=1")
    expect(unpaid.locator("#confirming")).to_contain_text("正在确认支付", timeout=SLOW)
    expect(unpaid.locator("#pay-sandbox, .pay-box")).to_have_count(0)
    unpaid.locator("#confirming a").click()  # "not paid yet?" shows the way to pay
    expect(unpaid.locator("#pay-sandbox")).to_be_visible(timeout=SLOW)


def test_the_storefront_pages_to_other_tiles(new_context, admin):
    category = unique("页")
    skus = sorted(card_product(admin, codes=1, category=category) for _ in range(26))
    page = new_context(DESKTOP).new_page()
    page.goto(f"/?category={category}")
    tiles = page.locator(".grid a.tile")
    expect(tiles).to_have_count(24)
    first = [href.rsplit("/", 1)[1] for href in tiles.evaluate_all("ts => ts.map(t => t.getAttribute('href'))")]
    expect(page.locator("#first-page")).to_have_count(0)
    page.locator("#next-page").click()
    expect(page.locator("#first-page")).to_be_visible()
    expect(tiles).to_have_count(2)
    second = [href.rsplit("/", 1)[1] for href in tiles.evaluate_all("ts => ts.map(t => t.getAttribute('href'))")]
    assert first == skus[:24] and second == skus[24:]
    expect(page.locator("#next-page")).to_have_count(0)


def test_the_announcement_edited_in_the_console_shows_on_the_home_as_text(new_context, admin):
    console = signed_in_console(new_context, admin)
    text = f"今晚 22:00 维护 {unique('a')}\n<b>bold</b><script>window.ran = 1</script>"
    try:
        console.goto("/admin/announcement")
        console.locator('#announcement textarea[name="text"]').fill(text)
        console.locator("#announcement button[type=submit]").click()
        expect(console.locator(".alert-ok")).to_be_visible()
        home = new_context(PHONE).new_page()
        home.goto("/")
        shown = home.locator("#announcement")
        expect(shown).to_contain_text("<b>bold</b><script>window.ran = 1</script>")
        expect(shown.locator("b, script")).to_have_count(0)
        assert home.evaluate("window.ran") is None
    finally:  # the test database is shared by the whole run
        admin.put("/api/v1/admin/announcement", json={"text": ""})


def test_a_picture_uploaded_in_the_console_shows_on_the_product_page(new_context, admin):
    sku = card_product(admin, codes=1)
    png = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(png, format="PNG")
    console = signed_in_console(new_context, admin)
    console.goto(f"/admin/products/{sku}")
    console.locator("#edit-image").click()
    console.locator('#product-image input[type="file"]').set_input_files(
        {"name": "red.png", "mimeType": "image/png", "buffer": png.getvalue()}
    )
    console.locator("#product-image button[type=submit]").click()
    expect(console.locator(".alert-ok")).to_be_visible(timeout=SLOW)

    page = new_context(PHONE).new_page()
    page.goto(f"/products/{sku}")
    image = page.locator("#product-image")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('#product-image').complete")
    assert image.evaluate("i => i.naturalWidth") == 64
    served = page.request.get(image.get_attribute("src"))
    assert served.status == 200 and served.headers["content-type"] == "image/png"


def test_the_favicon_is_linked_and_answers(new_context):
    page = new_context(DESKTOP).new_page()
    page.goto("/")
    href = page.locator('link[rel="icon"]').get_attribute("href")
    icon = page.request.get(href)
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml" and b"<svg" in icon.body()


# Console


def test_categories_are_created_renamed_archived_and_restored(new_context, admin):
    name = unique("分类")
    page = signed_in_console(new_context, admin)
    page.goto("/admin/categories")
    page.locator('#category-add input[name="name"]').fill(name)
    page.locator("#category-add button[type=submit]").click()
    expect(page.locator(".alert-ok")).to_be_visible()
    row = page.locator(f'#categories tr:has(input[name="new_name"][value="{name}"])')
    expect(row).to_have_count(1)
    row.locator('input[name="new_name"]').fill(name + "新")
    row.locator('button:not([name="action"])').click()
    expect(page.locator(".alert-ok")).to_be_visible()
    row = page.locator(f'#categories tr:has(input[name="new_name"][value="{name}新"])')
    expect(row).to_have_count(1)
    expect(page.locator(f'#categories input[name="new_name"][value="{name}"]')).to_have_count(0)
    row.locator('button[value="archive"]').click()
    expect(row.locator(".badge")).to_have_text("已归档")
    row.locator('button[value="restore"]').click()
    expect(row.locator('button[value="archive"]')).to_be_visible()
    expect(row.locator(".badge")).to_have_count(0)


def test_an_order_page_refunds_part_shows_payment_records_and_a_timeline_in_words(new_context, admin, api):
    order = buy(api, card_product(admin, codes=1, price="10.00")).json()
    pay(api, order)
    wait_status(api, order, "completed")
    page = signed_in_console(new_context, admin)
    page.goto(f"/admin/orders/{order['order_no']}")

    payment = page.locator("#payment")  # item 12: the payment and its notifications
    expect(payment).to_contain_text("¥10.00")
    expect(payment).to_contain_text(order["payment"]["payment_no"])
    expect(page.locator("#notifications tbody tr").first).to_be_visible()

    timeline = page.locator("#timeline")  # item 17: in words, local time, nothing raw
    expect(timeline).to_contain_text("支付成功")
    expect(page.locator("main")).to_contain_text("Asia/Shanghai")
    raw = admin.get(f"/api/v1/admin/orders/{order['order_no']}").json()["timeline"]
    local = datetime.fromisoformat(raw[0]["at"].replace("Z", "+00:00")) + timedelta(hours=8)
    expect(timeline).to_contain_text(local.strftime("%Y-%m-%d %H:%M:%S"))
    for step in timeline.locator("li").all_inner_texts():
        assert "{" not in step and "payment_succeeded" not in step, step
        assert not re.search(r"(\S+) → \1(\s|$)", step), f"a step that changed nothing: {step}"

    page.locator('#refund input[name="reason"]').fill("一半")  # item 10: a partial refund
    page.locator('#refund input[name="amount"]').fill("3.50")
    page.evaluate(SAY_YES)
    page.locator("#refund button[type=submit]").click()
    expect(page.locator(".alert-ok")).to_be_visible(timeout=SLOW)
    expect(page.locator("#refunds")).to_contain_text("¥3.50")
    assert wait_status(api, order, "completed")["status"] == "completed"
    refunds = admin.get(f"/api/v1/admin/orders/{order['order_no']}/payment").json()["refunds"]
    assert [r["amount"] for r in refunds] == ["3.50"]


def reveals(db, sku):
    return db("SELECT actor FROM catalog.audit WHERE action = 'codes.reveal' AND subject = :s", s=sku)


def test_a_products_codes_are_masked_until_revealed_on_purpose(new_context, admin, db):
    sku = card_product(admin, codes=0)
    secret = unique("SECRETCODE")
    admin.post(
        f"/api/v1/admin/products/{sku}/codes", data=f"{secret},pw1\n".encode(), headers={"Content-Type": "text/plain"}
    )
    page = signed_in_console(new_context, admin)
    page.goto(f"/admin/products/{sku}")
    codes = page.locator("#code-list")
    expect(codes).to_contain_text("••••••••")
    expect(codes).not_to_contain_text(secret)
    assert reveals(db, sku) == []  # the masked list is not a reveal
    expect(page.locator("#reveal-codes")).to_have_attribute("data-confirm", re.compile(r"."))
    page.evaluate(SAY_YES)
    page.locator("#reveal-codes button[type=submit]").click()
    expect(codes).to_contain_text(secret)
    expect(codes).to_contain_text("pw1")
    expect(page.locator("#codes .alert-warn")).to_contain_text("审计")  # the reveal is recorded, and says so
    [(actor,)] = [tuple(r.values()) for r in reveals(db, sku)]
    assert page.member["email"] in actor, actor


def test_the_reconciliation_and_integrity_pages_show_their_reports(new_context, admin):
    page = signed_in_console(new_context, admin)
    page.goto("/admin/reconciliation")
    report = page.locator("#reconciliation")
    report.locator('input[name="days"]').fill("3")
    report.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/reconciliation\?days=3$"))
    expect(report.locator("#mismatches, #no-mismatches")).to_be_visible()
    expect(report.locator('input[name="days"]')).to_have_value("3")
    page.goto("/admin/integrity")
    expect(page.locator("#integrity h1")).to_be_visible()
    expect(page.locator("#integrity .alert")).to_be_visible()
    expect(page.locator("#counted .stat").first).to_be_visible()


def test_counted_stock_is_set_for_a_recharge_product_which_has_no_card_import(new_context, admin):
    sku = product_of(admin, "recharge")
    page = signed_in_console(new_context, admin)
    page.goto(f"/admin/products/{sku}")
    expect(page.locator("#set-stock")).to_be_visible()
    expect(page.locator("#import")).to_have_count(0)  # item 16
    expect(page.locator("#code-list")).to_have_count(0)
    expect(page.locator("#available")).to_have_text("∞")
    page.locator('#set-stock input[name="stock"]').fill("7")
    page.locator("#set-stock button[type=submit]").click()
    expect(page.locator("#available")).to_have_text("7")
    page.reload()
    expect(page.locator("#available")).to_have_text("7")


def test_risk_rules_are_edited_through_the_form_in_yuan(new_context, admin):
    admin.put("/api/v1/admin/risk/rules", json={})
    try:
        page = signed_in_console(new_context, admin)
        page.goto("/admin/risk/rules")
        form = page.locator("#rules-form")
        form.locator('input[name="amount.0.category"]').fill("*")
        form.locator('input[name="amount.0.above"]').fill("1500.00")
        form.locator('select[name="amount.0.action"]').select_option("review")
        form.locator('input[name="amount.0.score"]').fill("30")
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert-ok")).to_be_visible()
        expect(page.locator('#rules-form input[name="amount.0.above"]')).to_have_value("1500.00")
        rules = admin.get("/api/v1/admin/risk/rules").json()["rules"]
        assert rules["amount"] == [{"category": "*", "above": 150000, "action": "review", "score": 30}]
    finally:  # the test database is shared by the whole run
        admin.put("/api/v1/admin/risk/rules", json={})

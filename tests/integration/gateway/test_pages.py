"""The server-rendered pages: product list and product page, escaped, with the security headers."""
from services.common.testing import unique


def test_storefront_lists_the_catalog(api):
    page = api.get("/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "[DEMO] Steam 钱包充值卡 50 元" in page.text and "¥48.50" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "<script" not in page.text                     # no inline script anywhere
    found = api.get("/", params={"q": "win11"}).text
    assert "Windows 11" in found and "Steam" not in found


def test_product_page_and_missing_product(api):
    page = api.get("/products/DEMO-WIN11-PRO")
    assert page.status_code == 200 and "¥39.00" in page.text
    missing = api.get("/products/NOPE")
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]


def test_names_are_escaped(api, admin):
    sku = unique("XSS")
    product = {"sku": sku, "name": "<script>alert(1)</script>", "category": "<b>cat</b>",
               "price": "1.00", "delivery": "card"}
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    page = api.get(f"/products/{sku}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>cat</b>" not in api.get("/").text


def test_static_assets_and_no_path_escape(api):
    css = api.get("/static/site.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert api.get("/static/..%2Fpages.py").status_code == 404


def test_order_page_asks_for_the_token_and_then_shows_the_codes(api, admin):
    from tests.integration.purchase.helpers import buy, card_product, pay, wait_status
    order = buy(api, card_product(admin, codes=1)).json()
    pay(api, order)
    wait_status(api, order, "completed")
    form = api.get(f"/orders/{order['order_no']}")
    assert form.status_code == 200 and 'name="token"' in form.text and order["token"] not in form.text
    wrong = api.post(f"/orders/{order['order_no']}", data={"token": "not-it"})
    assert wrong.status_code == 404 and "-C0000" not in wrong.text
    shown = api.post(f"/orders/{order['order_no']}", data={"token": order["token"]})
    assert shown.status_code == 200 and "-C0000" in shown.text and "pw0" in shown.text

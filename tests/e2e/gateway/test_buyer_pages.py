"""The storefront as a new buyer meets it (issue 23, second pass): errors in the page's language
with the product's own bounds, product names rather than SKUs, times in the shop's zone, a
return from the payment channel that never offers to pay again, paging, the favicon."""

import io
import re
import time
import types
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image

from services.common.testing import unique
from services.payment import channels
from tests.e2e.gateway.test_pages import checkout
from tests.e2e.helpers import csrf_of
from tests.e2e.purchase.helpers import card_product


def field_errors(page):
    return re.findall(r'<small class="field-error">([^<]*)</small>', page.text)


def test_checkout_errors_are_in_the_page_language_with_the_product_bounds(api, admin):
    sku = card_product(admin, codes=3, max_quantity=5)
    zero = checkout(api, sku, quantity="0", contact="not-an-email")
    assert zero.status_code == 400
    assert field_errors(zero) == ["数量须在 1–5 之间", "请输入有效的邮箱地址"]
    assert "10000" not in zero.text and "Not a valid" not in zero.text and "Missing data" not in zero.text
    half = checkout(api, sku, quantity="1.5")
    assert half.status_code == 400 and field_errors(half) == ["数量须为整数（1–5）"]
    missing = checkout(api, sku, contact="")
    assert missing.status_code == 400 and field_errors(missing) == ["请输入有效的邮箱地址"]
    api.get("/", params={"lang": "en"})
    english = checkout(api, sku, quantity="9999")
    assert english.status_code == 400 and field_errors(english) == ["Quantity must be 1–5"]
    assert admin.get(f"/api/v1/products/{sku}").json()["stock"] == 3  # nothing was reserved


def test_order_page_and_find_list_show_the_product_name_and_the_shop_time(api, admin):
    sku = card_product(admin, codes=1)
    placed = checkout(api, sku, contact="Named@Example.com", lookup_password="my secret 1")
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    page = api.get(f"/orders/{order_no}")
    assert f">卡 {sku}</a>" in page.text
    expires = re.search(r'data-expires="([^"]+)"', page.text).group(1)
    shop = datetime.fromisoformat(expires.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{shop:%H:%M} (Asia/Shanghai)" in page.text and " UTC" not in page.text
    found = api.post(
        "/find",
        data={"mode": "contact", "contact": "named@example.com", "password": "my secret 1", "csrf": csrf_of(page)},
    )
    assert found.status_code == 200 and f"× 卡 {sku} ·" in found.text and "(Asia/Shanghai)" in found.text


def test_back_from_paying_the_order_page_never_offers_to_pay_again(api, admin):
    sku = card_product(admin, codes=2)
    unpaid = checkout(api, sku).headers["Location"].rsplit("/", 1)[1]
    started = time.monotonic()
    back = api.get(f"/orders/{unpaid}", params={"returned": "1"})  # back from the cashier, not paid
    assert time.monotonic() - started >= 2  # it waited for the payment to be confirmed
    assert back.status_code == 200 and 'id="confirming"' in back.text and "正在确认支付" in back.text
    assert 'id="pay-sandbox"' not in back.text and 'action="/pay/' not in back.text and "data-watch" in back.text
    assert 'id="pay-sandbox"' in api.get(f"/orders/{unpaid}").text  # "not paid yet?" shows the way to pay

    order_no = checkout(api, sku).headers["Location"].rsplit("/", 1)[1]
    page = api.get(f"/orders/{order_no}")
    payment_no = re.search(r'action="/pay/([^"]+)"', page.text).group(1)
    paid = api.post(f"/pay/{payment_no}", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert paid.headers["Location"] == f"/orders/{order_no}?returned=1"
    returned = api.get(paid.headers["Location"])
    assert returned.status_code == 200 and 'id="pay-sandbox"' not in returned.text and "pay-box" not in returned.text


def test_the_channels_send_the_buyer_back_to_the_order_page_marked_returned():
    payment = types.SimpleNamespace(order_no="K123")
    urls = channels.urls_for("https://shop.example", "epay", payment)
    assert urls.return_url == "https://shop.example/orders/K123?returned=1"


def tiles_of(page):
    return re.findall(r'class="tile[^"]*" href="/products/([^"?]+)"', page.text)


def test_the_storefront_pages_through_the_catalog(api, admin):
    category = unique("页")
    skus = sorted(card_product(admin, codes=1, category=category) for _ in range(30))
    first = api.get("/", params={"category": category})
    assert tiles_of(first) == skus[:24] and 'id="first-page"' not in first.text
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert next_url.startswith("/?") and "category=" in next_url and "cursor=" in next_url
    second = api.get(next_url)
    assert tiles_of(second) == skus[24:] and 'id="next-page"' not in second.text and 'id="first-page"' in second.text
    made_up = api.get("/", params={"category": category, "cursor": "not a cursor"}, allow_redirects=False)
    assert made_up.status_code == 303 and made_up.headers["Location"].endswith("/")


def test_the_shop_has_a_favicon(api):
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in api.get("/").text
    icon = api.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml" and b"<svg" in icon.content
    asked = api.get("/favicon.ico", allow_redirects=False)
    assert asked.status_code == 301 and asked.headers["Location"].endswith("/static/favicon.svg")


def test_the_announcement_is_edited_in_the_console_and_shown_escaped_on_the_home(api, admin, console):
    text = "今晚 22:00 维护\r\n<script>alert(1)</script> <b>bold</b>\x07"
    saved = admin.put("/api/v1/admin/announcement", json={"text": text})
    assert saved.status_code == 200, saved.text
    assert saved.json()["text"] == "今晚 22:00 维护\n<script>alert(1)</script> <b>bold</b>"
    home = api.get("/").text
    shown = re.search(r'<section class="card announcement" id="announcement"[^>]*>(.*?)</section>', home, re.S).group(1)
    assert "今晚 22:00 维护\n&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;" in shown
    assert "<script>alert" not in home and "<b>bold" not in home
    assert admin.put("/api/v1/admin/announcement", json={"text": "x" * 2001}).status_code == 400
    assert api.put("/api/v1/admin/announcement", json={"text": "no"}).status_code == 401
    assert admin.get("/api/v1/admin/announcement").json()["text"].startswith("今晚")

    form = console.get("/admin/announcement")
    assert form.status_code == 200 and "今晚 22:00 维护" in form.text
    posted = console.post(
        "/admin/announcement", data={"text": "新品上架\n欢迎选购", "csrf": csrf_of(form)}, allow_redirects=False
    )
    assert posted.status_code == 303
    assert "新品上架\n欢迎选购" in api.get("/").text  # the gateway's cache was cleared
    cleared = console.post("/admin/announcement", data={"text": "", "csrf": csrf_of(form)}, allow_redirects=False)
    assert cleared.status_code == 303 and 'id="announcement"' not in api.get("/").text


def picture(fmt, size=(2000, 1000)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def test_product_pictures_are_checked_resized_kept_and_served(api, admin, console):
    category = unique("图")
    sku = card_product(admin, codes=1, category=category)
    put = admin.put(f"/api/v1/admin/products/{sku}/image", data=picture("PNG"), headers={"Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    url = put.json()["url"]
    assert put.json()["content_type"] == "image/png" and url == f"/images/{sku}?v={put.json()['image_version']}"
    served = api.get(url)
    assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
    assert "immutable" in served.headers["Cache-Control"] and served.headers["ETag"]
    assert Image.open(io.BytesIO(served.content)).size == (800, 400)  # resized to fit 800 px
    assert api.get(url, headers={"If-None-Match": served.headers["ETag"]}).status_code == 304
    assert f'src="{url}"' in api.get("/", params={"category": category}).text.replace("&amp;", "&")
    assert 'id="product-image"' in api.get(f"/products/{sku}").text

    gif = b"GIF89a" + b"\x00" * 64
    for body, kind in (
        (gif, "image/png"),
        (b"<svg onload=alert(1)>", "image/png"),
        (b"\xff\xd8\xffjunk", "image/jpeg"),
    ):
        refused = admin.put(f"/api/v1/admin/products/{sku}/image", data=body, headers={"Content-Type": kind})
        assert refused.status_code == 400, refused.text
    assert api.get(url).content == served.content  # the picture kept is still the first
    too_big = admin.put(f"/api/v1/admin/products/{sku}/image", data=b"\xff\xd8\xff" + b"\x00" * (6 * 1024 * 1024))
    assert too_big.status_code in (400, 413)
    assert api.get("/images/NO-SUCH-SKU").status_code == 404

    form = console.get(f"/admin/products/{sku}/image")
    assert form.status_code == 200 and f'src="{url}"' in form.text.replace("&amp;", "&")
    posted = console.post(
        f"/admin/products/{sku}/image",
        data={"csrf": csrf_of(form)},
        files={"image": ("x.jpg", picture("JPEG", (300, 600)), "image/jpeg")},
        allow_redirects=False,
    )
    assert posted.status_code == 303
    shown = re.search(r'id="product-image" src="([^"]+)"', api.get(f"/products/{sku}").text).group(1)
    again = api.get(shown.replace("&amp;", "&"))
    assert again.headers["Content-Type"] == "image/jpeg" and Image.open(io.BytesIO(again.content)).size == (300, 600)
    bad = console.post(
        f"/admin/products/{sku}/image",
        data={"csrf": csrf_of(form)},
        files={"image": ("x.png", b"not a picture", "image/png")},
    )
    assert bad.status_code == 400 and "alert-error" in bad.text


def test_the_console_product_page_links_to_its_picture(admin, console):
    sku = card_product(admin, codes=1)
    assert f'href="/admin/products/{sku}/image" id="edit-image"' in console.get(f"/admin/products/{sku}").text

"""The server-rendered pages over plain HTTP (the browser tests in tests/e2e/browser drive the same
pages in Chromium): escaping, CSRF, cookies, the checkout and order flows, admin sessions."""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import eventlet

from services.common.testing import unique, wait_until
from tests.e2e.helpers import admin_session, csrf_of, holding
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


def form_value(page, name):
    return re.search(rf'name="{name}" value="([^"]*)"', page.text).group(1)


def test_storefront_lists_the_catalog_by_category_and_search(api):
    page = api.get("/", params={"q": "DEMO-STEAM"})  # paged (24 a page): a search finds it among many
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "[DEMO] Steam 钱包充值卡 50 元" in page.text and "¥48.50" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None  # no inline script anywhere
    assert page.headers["Cache-Control"] == "no-store"
    found = api.get("/", params={"q": "win11"}).text
    assert "Windows 11" in found and "Steam 钱包" not in found
    category = api.get("/", params={"category": "礼品卡"}).text
    assert "App Store" in category and "Windows 11" not in category and 'class="chip on"' in category


def test_language_defaults_to_chinese_and_switches_to_english(api):
    assert '<html lang="zh-CN">' in api.get("/").text
    english = api.get("/", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Find my order" in english.text
    assert '<html lang="en">' in api.get("/find").text  # remembered in a cookie


def test_product_page_and_missing_product(api):
    page = api.get("/products/DEMO-WIN11-PRO")
    assert page.status_code == 200 and "¥39.00" in page.text and 'name="payment_channel" value="sandbox"' in page.text
    missing = api.get("/products/NOPE")
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]


def test_names_are_escaped(api, admin):
    sku = unique("XSS")
    product = {
        "sku": sku,
        "name": "<script>alert(1)</script>",
        "category": "<b>cat</b>",
        "price": "1.00",
        "delivery": "card",
    }
    assert admin.post("/api/v1/admin/products", json=product).status_code == 201
    page = api.get(f"/products/{sku}").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>cat</b>" not in api.get("/").text


def test_static_assets_and_no_path_escape(api):
    css = api.get("/static/site.css")
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert api.get("/static/app.js").headers["Content-Type"].startswith("text/javascript")
    assert api.get("/static/..%2Fpages.py").status_code == 404


def checkout(api, sku, **fields):
    page = api.get(f"/products/{sku}")
    form = {
        "csrf": csrf_of(page),
        "idem": form_value(page, "idem"),
        "quantity": "1",
        "contact": "web@example.com",
        "payment_channel": "sandbox",
        **fields,
    }
    return api.post(f"/products/{sku}", data=form, allow_redirects=False)


def test_the_order_page_status_is_held_until_the_order_moves(api, admin, monkeypatch):
    holds = holding(monkeypatch)
    sku = card_product(admin, codes=1)
    placed = checkout(api, sku)
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    page = api.get(f"/orders/{order_no}")
    held = eventlet.spawn(
        lambda: (
            time.monotonic(),
            api.get(f"/orders/{order_no}/status", params={"status": "awaiting_payment", "wait": 15}),
        )
    )
    wait_until(lambda: holds(order_no), message="the gateway to hold the status request")
    assert not held.dead  # held while nothing moves
    payment_no = re.search(r'action="/pay/([^"]+)"', page.text).group(1)
    api.post(f"/pay/{payment_no}", data={"csrf": csrf_of(page)}, allow_redirects=False)
    started, answer = held.wait()
    assert answer.json()["status"] in ("paid", "delivering", "completed") and time.monotonic() - started < 5
    assert api.get(f"/orders/{order_no}/status", params={"wait": 99}).status_code == 400


def test_checkout_needs_the_csrf_token(api, admin):
    sku = card_product(admin, codes=1)
    api.get(f"/products/{sku}")
    forged = api.post(
        f"/products/{sku}",
        data={"quantity": "1", "contact": "a@example.com", "payment_channel": "sandbox", "csrf": "guess"},
    )
    assert forged.status_code == 403
    assert api.get("/api/v1/admin/stock").status_code == 401  # nothing was bought, nobody signed in
    assert admin.get(f"/api/v1/products/{sku}").json()["stock"] == 1


def test_checkout_pays_and_shows_the_codes_on_the_order_page(api, admin):
    sku = card_product(admin, codes=2)
    placed = checkout(api, sku, quantity="2")
    assert placed.status_code == 303
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    cookie = next(c for c in api.cookies if c.name == "kameng_order")
    assert cookie.path == f"/orders/{order_no}" and cookie.has_nonstandard_attr("HttpOnly")
    assert order_no in placed.headers["Location"] and cookie.value not in placed.headers["Location"]
    page = api.get(f"/orders/{order_no}")
    assert page.status_code == 200 and "¥19.80" in page.text and 'id="pay-sandbox"' in page.text
    assert "data:image/svg+xml" in page.text  # the QR code of the pay_url
    payment_no = re.search(r'action="/pay/([^"]+)"', page.text).group(1)
    paid = api.post(f"/pay/{payment_no}", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert paid.status_code == 303 and paid.headers["Location"] == f"/orders/{order_no}?returned=1"
    wait_status(api, {"order_no": order_no, "token": cookie.value}, "completed")
    assert api.get(f"/orders/{order_no}/status").json() == {"status": "completed"}
    done = api.get(f"/orders/{order_no}").text
    assert f"{sku}-C0000" in done and f"{sku}-C0001" in done and "pw1" in done and "data-copy" in done


def test_a_double_submitted_checkout_places_one_order(api, admin):
    sku = card_product(admin, codes=3)
    page = api.get(f"/products/{sku}")
    form = {
        "csrf": csrf_of(page),
        "idem": form_value(page, "idem"),
        "quantity": "1",
        "contact": "twice@example.com",
        "payment_channel": "sandbox",
    }
    first, second = (api.post(f"/products/{sku}", data=form, allow_redirects=False) for _ in range(2))
    assert first.headers["Location"] == second.headers["Location"]
    assert admin.get(f"/api/v1/admin/orders?sku={sku}").json()["items"].__len__() == 1


def test_checkout_errors_are_shown_on_the_form(api, admin):
    sku = card_product(admin, codes=1, max_quantity=1)
    too_many = checkout(api, sku, quantity="3", contact="not-an-email")
    assert too_many.status_code == 400 and "field-error" in too_many.text
    assert 'value="not-an-email"' in too_many.text  # what was typed is kept
    short = checkout(api, sku, lookup_password="123")
    assert short.status_code == 400


def test_sold_out_products_cannot_be_bought(api, admin):
    sku = card_product(admin, codes=0)
    page = api.get(f"/products/{sku}")
    assert 'id="sold-out"' in page.text and 'name="payment_channel"' not in page.text
    placed = checkout(api, card_product(admin, codes=1), quantity="1")
    assert placed.status_code == 303
    form_sku = card_product(admin, codes=1, max_quantity=3)
    refused = checkout(api, form_sku, quantity="2")
    assert refused.status_code == 409 and "alert-error" in refused.text


def test_order_page_asks_for_the_token_and_find_my_order_works_both_ways(api, admin):
    order = buy(api, card_product(admin, codes=1), contact="Finder@Example.com").json()
    pay(api, order)
    wait_status(api, order, "completed")
    form = api.get(f"/orders/{order['order_no']}")
    assert form.status_code == 200 and 'name="token"' in form.text and order["token"] not in form.text
    wrong = api.post(f"/orders/{order['order_no']}", data={"token": "not-it", "csrf": csrf_of(form)})
    assert wrong.status_code == 404 and "-C0000" not in wrong.text
    shown = api.post(
        "/find", data={"mode": "token", "order_no": order["order_no"], "token": order["token"], "csrf": csrf_of(form)}
    )
    assert shown.status_code == 200 and "-C0000" in shown.text and "pw0" in shown.text


def test_find_by_contact_and_query_password(api, admin):
    sku = card_product(admin, codes=1)
    placed = checkout(api, sku, contact="Pw@Example.com", lookup_password="my secret 1")
    order_no = placed.headers["Location"].rsplit("/", 1)[1]
    with type(api)(api.base_url) as stranger:  # another browser: no cookies
        page = stranger.get("/find")
        missed = stranger.post(
            "/find",
            data={"mode": "contact", "contact": "pw@example.com", "password": "wrong pass", "csrf": csrf_of(page)},
        )
        assert missed.status_code == 404 and order_no not in missed.text
        assert stranger.get(f"/orders/{order_no}").text.count('name="token"') == 1
        found = stranger.post(
            "/find",
            data={"mode": "contact", "contact": "pw@example.com", "password": "my secret 1", "csrf": csrf_of(page)},
        )
        assert found.status_code == 200 and f"/orders/{order_no}" in found.text
        assert 'id="pay-sandbox"' in stranger.get(f"/orders/{order_no}").text  # the grant opens it
        tickets = stranger.get(f"/orders/{order_no}/tickets")  # and the order's support tickets
        assert tickets.status_code == 200 and 'name="category"' in tickets.text
    with type(api)(api.base_url) as nobody:
        assert nobody.get(f"/orders/{order_no}/tickets").status_code == 404


def test_admin_sign_in_gives_a_session_cookie_and_never_a_token_in_urls(api):
    assert api.get("/admin", allow_redirects=False).headers["Location"] == "/admin/login"
    page = api.get("/admin/login")
    wrong = api.post("/admin/login", data={"token": "nope", "csrf": csrf_of(page)})
    assert wrong.status_code == 401
    signed_in = admin_session(api)
    set_cookie = signed_in.headers["Set-Cookie"]
    assert "kameng_admin=" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "dev-admin-token" not in set_cookie
    dashboard = api.get("/admin")
    assert dashboard.status_code == 200 and 'id="sales-today"' in dashboard.text
    assert api.get("/admin/products").status_code == 200 and api.get("/admin/risk").status_code == 200
    out = api.post("/admin/logout", data={"csrf": csrf_of(dashboard)}, allow_redirects=False)
    assert out.status_code == 303 and api.get("/admin", allow_redirects=False).status_code == 303


def test_cookie_authenticated_admin_api_calls_need_the_csrf_header(api):
    admin_session(api)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', api.get("/admin").text).group(1)
    sku = unique("CK")
    product = {"sku": sku, "name": "cookie", "category": "测试", "price": "1.00", "delivery": "card"}
    assert api.get("/api/v1/admin/stock").status_code == 200  # reading needs no token
    assert api.post("/api/v1/admin/products", json=product).status_code == 403
    assert api.post("/api/v1/admin/products", json=product, headers={"X-CSRF-Token": "x" * 32}).status_code == 403
    assert api.post("/api/v1/admin/products", json=product, headers={"X-CSRF-Token": token}).status_code == 201


def test_admin_refunds_an_order_from_its_page(api, admin):
    order = buy(api, card_product(admin, codes=1)).json()
    pay(api, order)
    wait_status(api, order, "completed")
    admin_session(api)
    page = api.get(f"/admin/orders/{order['order_no']}")
    assert page.status_code == 200 and 'id="timeline"' in page.text and "支付成功" in page.text
    forged = api.post(f"/admin/orders/{order['order_no']}/refund", data={"reason": "x", "csrf": "forged"})
    assert forged.status_code == 403
    refunded = api.post(
        f"/admin/orders/{order['order_no']}/refund", data={"reason": "buyer asked", "csrf": csrf_of(page)}
    )
    assert refunded.status_code == 200 and "alert-ok" in refunded.text
    wait_status(api, order, "refunded", "refunding")


def test_find_by_contact_is_rate_limited_per_contact_and_sign_in_per_ip(config, runner_factory, seeded):
    from tests.e2e.helpers import Api, start_system

    config["RATE_LIMITS"] = "contact_lookup=2/h,login=3/m"
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client:
        page = client.get("/find")
        tries = [
            client.post(
                "/find",
                data={"mode": "contact", "contact": "Victim@example.com", "password": "guess-1", "csrf": csrf_of(page)},
            ).status_code
            for _ in range(3)
        ]
        assert tries == [404, 404, 429]
        other = client.post(
            "/find",
            data={"mode": "contact", "contact": "other@example.com", "password": "guess-1", "csrf": csrf_of(page)},
        )
        assert other.status_code == 404  # counted per contact, not per visitor
        login = client.get("/admin/login")
        signs = [
            client.post("/admin/login", data={"token": "nope", "csrf": csrf_of(login)}).status_code for _ in range(4)
        ]
        assert (
            signs == [401, 401, 401, 429]
            and "Retry-After" in client.post("/admin/login", data={"token": "nope", "csrf": csrf_of(login)}).headers
        )


def test_sign_in_and_find_by_contact_answer_503_while_redis_is_down(config, runner_factory, seeded):
    from services.common.testing import free_port
    from tests.e2e.helpers import Api, start_system

    config.update(
        RATE_LIMITS="contact_lookup=2/h,login=3/m,lookup=60/m", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    start_system(config, runner_factory)
    with Api(config["BASE_URL"]) as client:
        page = client.get("/find")
        found = client.post(
            "/find", data={"mode": "contact", "contact": "a@example.com", "password": "guess", "csrf": csrf_of(page)}
        )
        login = client.get("/admin/login")
        signed = client.post("/admin/login", data={"token": "nope", "csrf": csrf_of(login)})
        assert (found.status_code, signed.status_code) == (503, 503)
        assert client.get("/api/v1/orders/NOPE", params={"token": "x"}).status_code in (400, 404)  # the rest goes on


def test_the_buyer_cancels_from_the_order_page(api, admin):
    sku = card_product(admin, codes=1)
    order_no = checkout(api, sku).headers["Location"].rsplit("/", 1)[1]
    page = api.get(f"/orders/{order_no}")
    assert api.post(f"/orders/{order_no}/cancel", data={"csrf": "forged"}).status_code == 403
    cancelled = api.post(f"/orders/{order_no}/cancel", data={"csrf": csrf_of(page)})
    assert cancelled.status_code == 200 and "badge-cancelled" in cancelled.text
    assert f'href="/products/{sku}"' in cancelled.text  # buy again


def test_the_admin_edits_a_product_and_its_price_rules(api, admin):
    sku = card_product(admin, codes=1, price="10.00")
    admin_session(api)
    page = api.get(f"/admin/products/{sku}")
    assert page.status_code == 200 and 'id="import"' in page.text
    form = {"csrf": csrf_of(page)}
    edited = api.post(
        f"/admin/products/{sku}",
        data={
            **form,
            "action": "edit",
            "name": "新名字",
            "category": "测试",
            "price": "12.00",
            "min_quantity": "1",
            "max_quantity": "3",
            "low_stock_threshold": "2",
            "description": "",
            "active": "on",
        },
    )
    assert edited.status_code == 200 and "alert-ok" in edited.text
    product = api.get(f"/api/v1/products/{sku}").json()
    assert (product["name"], product["price"], product["max_quantity"]) == ("新名字", "12.00", 3)
    bad = api.post(
        f"/admin/products/{sku}",
        data={**form, "action": "edit", "name": "x", "category": "测试", "price": "-1", "active": "on"},
    )
    assert bad.status_code == 400 and api.get(f"/api/v1/products/{sku}").json()["price"] == "12.00"
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    window = [(local + timedelta(hours=h)).strftime("%H:%M") for h in (-2, 2)]  # across midnight is fine
    promo = api.post(
        f"/admin/products/{sku}",
        data={
            **form,
            "action": "promotion",
            "name": "半价",
            "percent_off": "50",
            "starts": window[0],
            "ends": window[1],
            "timezone": "Asia/Shanghai",
        },
    )
    assert promo.status_code == 200, promo.text[-500:]
    assert api.get(f"/api/v1/products/{sku}/quote", params={"quantity": 1}).json()["unit_price"] == "6.00"
    level = api.post(f"/admin/products/{sku}", data={**form, "action": "level_price", "level": "vip", "price": "5.50"})
    assert level.status_code == 200 and "alert-ok" in level.text
    for bad_level in ({"level": "vip", "price": "-1"}, {"level": "", "price": "1.00"}):
        assert (
            api.post(f"/admin/products/{sku}", data={**form, "action": "level_price", **bad_level}).status_code == 400
        )
    no_times = api.post(f"/admin/products/{sku}", data={**form, "action": "promotion", "name": "空", "price": "1.00"})
    assert no_times.status_code == 200  # created (00:00-00:00: an empty window)

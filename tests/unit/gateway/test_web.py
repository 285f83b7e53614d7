"""Pure logic of the web pages: the checkout form, CSRF and cookie rules (their words: test_i18n)."""

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway import checkout, i18n, web
from services.common.errors import Forbidden

PRODUCT = {"sku": "S-1", "delivery": "card", "min_quantity": 1, "max_quantity": 5}
ZH = i18n.translator("zh-CN")


def test_the_checkout_form_becomes_an_order_body():
    body, password, errors = checkout.form_order(
        {"quantity": "2", "contact": " a@example.com ", "payment_channel": "sandbox", "lookup_password": ""},
        PRODUCT,
        ZH,
    )
    assert errors == {} and password is None
    assert body == {"sku": "S-1", "quantity": 2, "contact": "a@example.com", "payment_channel": "sandbox"}


@pytest.mark.parametrize(
    "form, field",
    [
        ({"quantity": "6"}, "quantity"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"contact": "nope"}, "contact"),
        ({"payment_channel": "paypal"}, "payment_channel"),
        ({"lookup_password": "12345"}, "lookup_password"),
        ({"lookup_password": "x" * 65}, "lookup_password"),
    ],
)
def test_checkout_form_errors_name_the_field(form, field):
    fields = {"quantity": "1", "contact": "a@example.com", "payment_channel": "sandbox", **form}
    assert field in checkout.form_order(fields, PRODUCT, ZH)[2]


def test_a_recharge_product_needs_the_account():
    fields = {"quantity": "1", "contact": "a@example.com", "payment_channel": "sandbox"}
    recharge = {**PRODUCT, "delivery": "recharge"}
    assert "recharge_account" in checkout.form_order(fields, recharge, ZH)[2]
    body = checkout.form_order({**fields, "recharge_account": "13800000000"}, recharge, ZH)[0]
    assert body["recharge_account"] == "13800000000"


@pytest.mark.parametrize(
    "lang, quantity, expected",
    [
        ("zh-CN", "0", "数量须在 1–5 之间"),
        ("zh-CN", "1.5", "数量须为整数（1–5）"),
        ("en", "9999", "Quantity must be 1–5"),
        ("en", "1.5", "Quantity must be a whole number (1–5)"),
    ],
)
def test_checkout_errors_are_in_the_page_language_with_the_product_bounds(lang, quantity, expected):
    fields = {"quantity": quantity, "contact": "nope", "payment_channel": "sandbox"}
    errors = checkout.form_order(fields, PRODUCT, i18n.translator(lang))[2]
    assert errors["quantity"] == [expected]
    assert errors["contact"] == [i18n.translator(lang)("checkout.err_contact")]
    assert "10000" not in str(errors) and ("Not a valid" in str(errors)) is False


def request(form=None, headers=None, cookie=None, config=None):
    builder = EnvironBuilder(method="POST", data=form or {}, headers=headers or {})
    if cookie:
        builder.headers["Cookie"] = cookie
    environ = builder.get_environ()
    environ["kameng.config"] = config or {"PUBLIC_URL": "http://127.0.0.1:8000"}
    return Request(environ)


def test_csrf_needs_the_cookie_value_in_the_form_or_header():
    with pytest.raises(Forbidden):
        web.check_csrf(request({"csrf": "abc"}))  # no cookie
    with pytest.raises(Forbidden):
        web.check_csrf(request({"csrf": "abd"}, cookie="kameng_csrf=abc"))
    web.check_csrf(request({"csrf": "abc"}, cookie="kameng_csrf=abc"))
    web.check_csrf(request(headers={"X-CSRF-Token": "abc"}, cookie="kameng_csrf=abc"))


def test_an_admin_session_has_its_own_csrf_token():
    signed_in = request({"csrf": "cookie-value"}, cookie="kameng_csrf=cookie-value")
    signed_in.admin = {"actor": "owner", "csrf": "session-value"}
    with pytest.raises(Forbidden):
        web.check_csrf(signed_in)
    signed_in = request({"csrf": "session-value"})
    signed_in.admin = {"actor": "owner", "csrf": "session-value"}
    web.check_csrf(signed_in)


def test_cookies_are_secure_and_host_pinned_behind_tls():
    tls, plain = {"PUBLIC_URL": "https://shop.example"}, {"PUBLIC_URL": "http://127.0.0.1:8000"}
    assert web.cookie_name(tls, "kameng_admin") == "__Host-kameng_admin" and web.secure(tls)
    assert web.cookie_name(tls, "kameng_order", path="/orders/K1") == "kameng_order"
    assert web.cookie_name(plain, "kameng_admin") == "kameng_admin" and not web.secure(plain)


def test_the_page_registry_builds_the_menus():
    import gateway.service  # noqa: F401 -- registers every page

    assert [item.url for item in web.menu("store")] == ["/", "/find", "/account"]
    admin = [item.url for item in web.menu("admin")]
    assert admin[:6] == [
        "/admin",
        "/admin/products",
        "/admin/categories",
        "/admin/campaigns",
        "/admin/orders",
        "/admin/risk",
    ]
    assert admin[-1] == "/"

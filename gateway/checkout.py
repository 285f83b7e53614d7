"""The storefront's checkout form -> the body of POST /api/v1/orders (the same schema checks
it), plus the optional query password. Plain functions: the page routes stay thin. The field
errors it answers are in the page's language (`t`, gateway/i18n.py) and name the product's own
bounds, not the API's."""

import secrets

from marshmallow import ValidationError

from gateway import schemas

PASSWORD_LENGTH = (6, 64)

# a field's error on the page: its own words, whatever the schema (or the order service) said
FIELD_WORDS = {
    "contact": "checkout.err_contact",
    "payment_channel": "checkout.err_channel",
    "recharge_account": "checkout.err_recharge",
    "coupon": "checkout.err_coupon",
    "lookup_password": "checkout.err_password",
}


def bounds(product):
    """The quantities this product sells in one order: (lo, hi)."""
    return product["min_quantity"], product["max_quantity"]


def localize(errors, product, t):
    """{field: [message]} from the schema or the order service -> the page's words."""
    lo, hi = bounds(product)
    shown = {}
    for field in errors:
        if field == "quantity":
            shown[field] = [t("checkout.err_quantity", lo=lo, hi=hi)]
        elif field in FIELD_WORDS:
            shown[field] = [t(FIELD_WORDS[field])]
        else:
            shown[field] = [t("checkout.err_invalid")]
    return shown


def form_order(form, product, t):
    """(order body, query password or None, {field: [message]})."""
    body = {
        "sku": product["sku"],
        "contact": form.get("contact", "").strip()[:254],
        "payment_channel": form.get("payment_channel", "")[:16],
    }
    errors = {}
    lo, hi = bounds(product)
    raw = form.get("quantity", "").strip()[:6]
    quantity_error = None
    try:
        body["quantity"] = int(raw)
    except ValueError:
        quantity_error = t("checkout.err_whole", lo=lo, hi=hi) if raw else t("checkout.err_quantity", lo=lo, hi=hi)
    else:
        if not lo <= body["quantity"] <= hi:
            quantity_error = t("checkout.err_quantity", lo=lo, hi=hi)
    if product["delivery"] == "recharge":
        body["recharge_account"] = form.get("recharge_account", "").strip()[:64]
        if not body["recharge_account"]:
            errors["recharge_account"] = True
    coupon = form.get("coupon", "").strip()[:65]
    if coupon:
        body["coupon"] = coupon
    points = form.get("points", "").strip()[:10]
    if points:  # a signed-in member's points (issue 22); the order service judges how many
        try:
            body["points"] = int(points)
        except ValueError:
            errors["points"] = True  # localize: "checkout.err_invalid"
    password = form.get("lookup_password", "")[:65] or None
    if password is not None and not PASSWORD_LENGTH[0] <= len(password) <= PASSWORD_LENGTH[1]:
        errors["lookup_password"] = True
    try:
        body = schemas.NewOrder().load({k: v for k, v in body.items() if v != ""})
    except ValidationError as exc:
        errors.update(exc.messages_dict)
    errors = localize(errors, product, t)
    if quantity_error:
        errors["quantity"] = [quantity_error]
    return body, password, errors


def idempotency_key():
    """Rendered into the form: a double click or a resubmitted form places one order, not two."""
    return "web-" + secrets.token_urlsafe(18)

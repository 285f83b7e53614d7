"""The storefront's checkout form -> the body of POST /api/v1/orders (the same schema checks
it), plus the optional query password. Plain functions: the page routes stay thin."""

import secrets

from marshmallow import ValidationError

from gateway import schemas

PASSWORD_LENGTH = (6, 64)


def form_order(form, product):
    """(order body, query password or None, {field: [message]})."""
    body = {
        "sku": product["sku"],
        "contact": form.get("contact", "").strip()[:254],
        "payment_channel": form.get("payment_channel", "")[:16],
    }
    errors = {}
    try:
        body["quantity"] = int(form.get("quantity", "")[:6])
    except ValueError:
        errors["quantity"] = ["a whole number"]
    if product["delivery"] == "recharge":
        body["recharge_account"] = form.get("recharge_account", "").strip()[:64]
        if not body["recharge_account"]:
            errors["recharge_account"] = ["required for this product"]
    coupon = form.get("coupon", "").strip()[:65]
    if coupon:
        body["coupon"] = coupon
    points = form.get("points", "").strip()[:10]
    if points:  # a signed-in member's points (issue 22); the order service judges how many
        try:
            body["points"] = int(points)
        except ValueError:
            errors["points"] = ["a whole number"]
    password = form.get("lookup_password", "")[:65] or None
    if password is not None and not PASSWORD_LENGTH[0] <= len(password) <= PASSWORD_LENGTH[1]:
        errors["lookup_password"] = ["6 to 64 characters"]
    if not product["min_quantity"] <= body.get("quantity", product["min_quantity"]) <= product["max_quantity"]:
        errors["quantity"] = [f"{product['min_quantity']} to {product['max_quantity']}"]
    try:
        body = schemas.NewOrder().load({k: v for k, v in body.items() if v != ""})
    except ValidationError as exc:
        errors.update(exc.messages_dict)
    return body, password, errors


def idempotency_key():
    """Rendered into the form: a double click or a resubmitted form places one order, not two."""
    return "web-" + secrets.token_urlsafe(18)

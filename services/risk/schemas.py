"""Risk payloads: the rule set document and list entries, the one definition of a rule set (the
gateway checks HTTP bodies for shape only and leaves the rules to these). Money is integer minor
units."""

import ipaddress
import re

from marshmallow import Schema, ValidationError, fields, post_load, validate

from services.risk.rules import DEFAULT_RULES, DIMENSIONS, LIST_KINDS

WINDOW = validate.Range(1, 30 * 86400)
COUNT = validate.Range(0, 1_000_000)
MONEY = validate.Range(0, 10**10)
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
TOKEN = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces


def _action():
    return fields.String(
        load_default="review",
        validate=validate.OneOf(["score", "review", "reject"]),
        metadata={"description": "what a firing forces at least: score, review, reject"},
    )


def _score():
    return fields.Integer(strict=True, load_default=0, validate=validate.Range(0, 100))


class Velocity(Schema):
    dimension = fields.String(required=True, validate=validate.OneOf(DIMENSIONS))
    window_s = fields.Integer(strict=True, required=True, validate=WINDOW)
    max = fields.Integer(strict=True, required=True, validate=COUNT)
    action, score = _action(), _score()


class Threshold(Schema):
    category = fields.String(
        load_default="*",
        validate=validate.Length(1, 64),
        metadata={"description": "category name, * for every category"},
    )
    above = fields.Integer(
        strict=True,
        required=True,
        validate=MONEY,
        metadata={"description": "fires when the value is above this (amount in minor units)"},
    )
    action, score = _action(), _score()


class Unpaid(Schema):
    max = fields.Integer(strict=True, required=True, validate=COUNT)
    action, score = _action(), _score()


class NewContact(Schema):
    above = fields.Integer(strict=True, required=True, validate=MONEY)
    action, score = _action(), _score()


class SmallOrders(Schema):
    below = fields.Integer(strict=True, required=True, validate=MONEY)
    window_s = fields.Integer(strict=True, required=True, validate=WINDOW)
    max = fields.Integer(strict=True, required=True, validate=COUNT)
    action, score = _action(), _score()


class RepeatCategory(Schema):
    window_s = fields.Integer(strict=True, required=True, validate=WINDOW)
    max = fields.Integer(strict=True, required=True, validate=COUNT)
    action, score = _action(), _score()


class RuleSet(Schema):
    """The whole rule set; what is left out takes its default (nothing configured)."""

    velocity = fields.List(fields.Nested(Velocity), validate=validate.Length(max=50))
    amount = fields.List(fields.Nested(Threshold), validate=validate.Length(max=200))
    quantity = fields.List(fields.Nested(Threshold), validate=validate.Length(max=200))
    unpaid = fields.Nested(Unpaid, allow_none=True)
    new_contact = fields.Nested(NewContact, allow_none=True)
    small_orders = fields.Nested(SmallOrders, allow_none=True)
    repeat_category = fields.Nested(RepeatCategory, allow_none=True)
    review_score = fields.Integer(strict=True, validate=validate.Range(1, 100))
    reject_score = fields.Integer(strict=True, validate=validate.Range(1, 100))

    @post_load
    def complete(self, data, **kwargs):
        full = {**DEFAULT_RULES, **data}
        if full["review_score"] > full["reject_score"]:
            raise ValidationError("review_score must not exceed reject_score", "review_score")
        return full


class ListEntry(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(LIST_KINDS))
    value = fields.String(required=True, validate=validate.Length(1, 254))
    note = fields.String(load_default=None, validate=validate.Length(max=500))

    @post_load
    def normalised(self, data, **kwargs):
        return {**data, "value": normalise(data["kind"], data["value"])}


def normalise(kind, value):
    """The canonical form of a list value, or ValidationError on `value`."""
    text = value.strip()
    try:
        if kind == "ip":
            return str(ipaddress.ip_address(text))
        if kind == "cidr":
            return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise ValidationError(f"not a valid {'IP address' if kind == 'ip' else 'CIDR network'}", "value") from None
    if kind == "contact":
        local, at, domain = text.lower().rpartition("@")
        if not (local and at and DOMAIN.match(domain)) or not TOKEN.match(local):
            raise ValidationError("not a valid e-mail address", "value")
        return f"{local}@{domain}"
    if kind == "email_domain":
        if not DOMAIN.match(text.lower().lstrip("@")):
            raise ValidationError("not a valid e-mail domain (example.com)", "value")
        return text.lower().lstrip("@")
    if not TOKEN.match(text) or len(text) > (128 if kind == "device" else 64):
        raise ValidationError("printable characters without spaces, at most 128 (device) or 64", "value")
    return text


class ReviewAction(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class Referrer(Schema):
    id = fields.Integer(required=True, strict=True)
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    signup_ip = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    signup_device = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    chain = fields.List(fields.Integer(strict=True), load_default=list, validate=validate.Length(max=10_000))


class Referred(Schema):
    id = fields.Integer(load_default=None, allow_none=True, strict=True)
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=254))
    ips = fields.List(
        fields.String(validate=validate.Length(max=64)), load_default=list, validate=validate.Length(max=8)
    )
    devices = fields.List(
        fields.String(validate=validate.Length(max=128)), load_default=list, validate=validate.Length(max=8)
    )


class Referral(Schema):
    """What the account service knows of a referral it is about to record (issue 22)."""

    referrer = fields.Nested(Referrer, required=True)
    referred = fields.Nested(Referred, required=True)

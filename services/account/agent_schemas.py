"""The agent RPCs' payloads (issue 19), the account service's own copies. Money: integer minor
units (the gateway turns decimal strings into them)."""

from marshmallow import RAISE, Schema, fields, validate

NAME = validate.Length(min=1, max=80)
LEVEL = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$", error="letters, digits, . _ - (max 32)")
BP = validate.Range(0, 100_000)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class NewAgent(Strict):
    name = fields.String(required=True, validate=NAME)
    contact = fields.String(required=True, validate=validate.Length(min=1, max=200))
    parent = fields.Integer(load_default=None, allow_none=True, strict=True)
    level = fields.String(required=True, validate=LEVEL)


class AgentChanges(Strict):
    status = fields.String(validate=validate.OneOf(["active", "disabled"]))
    level = fields.String(validate=LEVEL)
    ip_allowlist = fields.List(fields.String(validate=validate.Length(1, 64)), validate=validate.Length(max=50))
    credit_limit = fields.Integer(strict=True, validate=validate.Range(0, 10**12))
    markup_bp = fields.Integer(strict=True, validate=BP)
    sub_markup_min_bp = fields.Integer(strict=True, validate=BP)
    sub_markup_max_bp = fields.Integer(strict=True, validate=BP)


class AgentLevel(Strict):
    name = fields.String(required=True, validate=LEVEL)
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1_000_000))


class Charge(Strict):
    agent_id = fields.Integer(required=True, strict=True)
    order_no = fields.String(required=True, validate=validate.Length(1, 64))
    sku = fields.String(required=True, validate=validate.Length(1, 64))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10_000))
    top_unit_price = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**12))
    currency = fields.String(required=True, validate=validate.Length(3, 4))


class PriceItem(Schema):
    sku = fields.String(required=True)
    unit_price = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**12))


class Adjustment(Strict):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(-(10**12), 10**12))
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class Review(Strict):
    approve = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class AgentSignIn(Strict):
    key_id = fields.String(required=True, validate=validate.Length(1, 64))
    secret = fields.String(required=True, validate=validate.Length(1, 128))


class SubAgent(Strict):
    name = fields.String(required=True, validate=NAME)
    contact = fields.String(required=True, validate=validate.Length(min=1, max=200))
    markup_bp = fields.Integer(load_default=0, strict=True, validate=BP)
    sub_markup_max_bp = fields.Integer(load_default=0, strict=True, validate=BP)


class StoreChanges(Strict):
    store_name = fields.String(allow_none=True, validate=validate.Length(max=80))
    slug = fields.String(allow_none=True, validate=validate.Length(max=32))
    retail_markup_bp = fields.Integer(strict=True, validate=BP)
    markup_bp = fields.Integer(strict=True, validate=BP)

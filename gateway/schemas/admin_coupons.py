"""Coupons' admin API (gateway/routes/admin_coupons.py) and console page: money as decimal strings
("9.90"), integer fen in the catalog, which checks the rules again on its side."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.common import Money, Timestamp, UtcDateTime


class NewCoupon(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{3,64}$"),
        metadata={"description": "what the buyer types; case-insensitive (kept upper case)"},
    )
    name = fields.String(required=True, validate=validate.Length(1, 100))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["amount", "percent"]),
        metadata={"description": "amount: 满减, amount_off from a total of min_total; percent: percent_off, max_off"},
    )
    amount_off = Money(allow_none=True)
    percent_off = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 100))
    max_off = Money(allow_none=True, metadata={"description": "the cap of a percentage"})
    min_total = Money(metadata={"description": "the threshold: the order total (after unit pricing) it needs"})
    scope = fields.String(validate=validate.OneOf(["all", "sku", "category"]))
    scope_value = fields.String(
        allow_none=True, validate=validate.Length(1, 64), metadata={"description": "SKU or category name"}
    )
    valid_from = UtcDateTime(allow_none=True)
    valid_until = UtcDateTime(allow_none=True)
    single_use = fields.Boolean(metadata={"description": "one order ever may use it"})
    total_limit = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 10**9))
    per_buyer_limit = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(1, 10**6),
        metadata={"description": "uses per member (signed in) or per contact e-mail"},
    )

    @validates_schema
    def one_discount(self, data, **kwargs):
        wanted = "amount_off" if data.get("kind") == "amount" else "percent_off"
        if data.get(wanted) is None:
            raise ValidationError(f"required for a coupon of kind {data.get('kind')}", wanted)


class Coupon(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    amount_off = Money(allow_none=True)
    percent_off = fields.Integer(allow_none=True)
    max_off = Money(allow_none=True)
    min_total = Money()
    scope = fields.String()
    scope_value = fields.String(allow_none=True)
    valid_from = Timestamp(allow_none=True)
    valid_until = Timestamp(allow_none=True)
    single_use = fields.Boolean()
    total_limit = fields.Integer(allow_none=True)
    per_buyer_limit = fields.Integer(allow_none=True)
    redeemed = fields.Integer(metadata={"description": "orders holding it now (released ones not counted)"})
    active = fields.Boolean()


class CouponList(Schema):
    items = fields.List(fields.Nested(Coupon))


class CouponQuery(Schema):
    active = fields.Boolean(load_default=None)

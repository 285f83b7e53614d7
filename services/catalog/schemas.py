"""Catalog RPC payloads (this service's own copies; the gateway keeps the HTTP ones).
Money is integer minor units here."""

from datetime import time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")
ORDER_NO = validate.Regexp(r"^[A-Za-z0-9_-]{6,64}$")
MONEY = validate.Range(0, 10**10)
QUANTITY = validate.Range(1, 10_000)
# card: each code sold once; loop: the same code(s) to every order (issue 24); recharge; manual
DELIVERIES = ["card", "loop", "recharge", "manual"]


class ListProducts(Schema):
    category = fields.String(load_default=None, validate=validate.Length(max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=256))
    agent_level = fields.String(load_default=None, validate=validate.Length(1, 32))  # priced for this agent level


class ProductChanges(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    category = fields.String(validate=validate.Length(1, 64))
    price = fields.Integer(strict=True, validate=MONEY)
    currency = fields.String(validate=validate.OneOf(["CNY", "USD", "USDT"]))
    min_quantity = fields.Integer(strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(strict=True, validate=QUANTITY)
    description = fields.String(validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-(10**6), 10**6))
    active = fields.Boolean()
    group_id = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1))  # a spec of this group
    spec_label = fields.String(allow_none=True, validate=validate.Length(1, 40))
    delivery = fields.String(validate=validate.OneOf(DELIVERIES))  # fixed: another value is refused (409)


class NewProduct(ProductChanges):
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = fields.Integer(required=True, strict=True, validate=MONEY)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY", "USD", "USDT"]))
    delivery = fields.String(required=True, validate=validate.OneOf(DELIVERIES))
    stock = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 10**9))
    min_quantity = fields.Integer(load_default=1, strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(load_default=10, strict=True, validate=QUANTITY)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 1_000_000))

    @validates_schema
    def quantity_bounds(self, data, **kwargs):
        if data.get("min_quantity", 1) > data.get("max_quantity", 10):
            raise ValidationError("must not be above max_quantity", "min_quantity")


class CategoryChanges(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    parent = fields.String(allow_none=True, validate=validate.Length(1, 64))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-(10**6), 10**6))
    requires_real_name = fields.Boolean()
    archived = fields.Boolean()  # hidden from the storefront; refused while it holds products on sale


class NewCategory(CategoryChanges):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    sort_order = fields.Integer(load_default=0, strict=True, validate=validate.Range(-(10**6), 10**6))


class NewPromotion(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    percent_off = fields.Integer(strict=True, validate=validate.Range(1, 99))
    price = fields.Integer(strict=True, validate=MONEY)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(1, 7)),
        load_default=[1, 2, 3, 4, 5, 6, 7],
        validate=validate.Length(1, 7),
    )
    starts = fields.Time(load_default=time(0))  # a load_default is not deserialised: a time, not "00:00"
    ends = fields.Time(load_default=time(0))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(1, 64))
    valid_from = fields.AwareDateTime(load_default=None)
    valid_until = fields.AwareDateTime(load_default=None)

    @validates_schema
    def one_discount(self, data, **kwargs):
        if ("percent_off" in data) == ("price" in data):
            raise ValidationError("give exactly one of percent_off and price", "percent_off")


class GroupChanges(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    description = fields.String(validate=validate.Length(max=5000))


class NewGroup(GroupChanges):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))


class Tier(Schema):
    min_quantity = fields.Integer(required=True, strict=True, validate=validate.Range(2, 10_000))
    price = fields.Integer(required=True, strict=True, validate=MONEY)


class WholesaleTiers(Schema):
    sku = fields.String(required=True, validate=SKU)
    tiers = fields.List(fields.Nested(Tier), required=True, validate=validate.Length(max=20))


class NewCampaign(Schema):
    """A campaign (issue 22): a percentage off several SKUs, or a category's, in weekly windows."""

    name = fields.String(required=True, validate=validate.Length(1, 100))
    percent_off = fields.Integer(required=True, strict=True, validate=validate.Range(1, 99))
    weekdays = fields.List(
        fields.Integer(strict=True, validate=validate.Range(1, 7)), required=True, validate=validate.Length(1, 7)
    )
    starts = fields.Time(required=True)
    ends = fields.Time(required=True)
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(1, 64))
    valid_from = fields.AwareDateTime(load_default=None)
    valid_until = fields.AwareDateTime(load_default=None)
    skus = fields.List(fields.String(validate=SKU), load_default=None, validate=validate.Length(1, 500))
    category = fields.String(load_default=None, validate=validate.Length(1, 64))
    notify = fields.Boolean(load_default=True)

    @validates_schema
    def what(self, data, **kwargs):
        if bool(data.get("skus")) == bool(data.get("category")):
            raise ValidationError("give exactly one of skus and category", "skus")
        if data.get("starts") == data.get("ends"):
            raise ValidationError("must differ from starts (an empty window never runs)", "ends")
        if data.get("valid_from") and data.get("valid_until") and data["valid_from"] >= data["valid_until"]:
            raise ValidationError("must be after valid_from", "valid_until")


class Quote(Schema):
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    level = fields.String(load_default=None, validate=validate.Length(1, 32))
    agent_level = fields.String(load_default=None, validate=validate.Length(1, 32))  # its price: "agent:<name>"
    at = fields.AwareDateTime(load_default=None)


class Reserve(Schema):
    order_no = fields.String(required=True, validate=ORDER_NO)
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    ttl_s = fields.Integer(required=True, strict=True, validate=validate.Range(1, 7 * 86400))


class Currencies(Schema):
    """The currencies the buyer's payment channel takes (the payment service's rule, asked by the
    order); None: any."""

    currencies = fields.List(
        fields.String(validate=validate.Regexp(r"^[A-Z]{3}$")),
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=16),
    )


class StageCodes(Schema):
    import_id = fields.UUID(required=True)
    lines = fields.List(
        fields.Tuple((fields.Integer(validate=validate.Range(1)), fields.String())),
        required=True,
        validate=validate.Length(max=20_000),
    )
    separator = fields.String(load_default=",", validate=validate.Length(1, 4))


class ListCodes(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(["available", "reserved", "sold", "retired"]))
    reveal = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after_id = fields.Integer(load_default=0, validate=validate.Range(0))


class DeliveryRecord(Schema):
    actor = fields.String(required=True, validate=validate.Length(1, 300))
    order_no = fields.String(required=True, validate=ORDER_NO)
    reveal = fields.Boolean(load_default=False)


class ReplaceCode(Schema):
    actor = fields.String(required=True, validate=validate.Length(1, 300))
    order_no = fields.String(required=True, validate=ORDER_NO)
    code_id = fields.Integer(required=True, strict=True, validate=validate.Range(1))
    reason = fields.String(required=True, validate=validate.Length(1, 500))


class Redeem(Schema):
    """A coupon on an order's reservation, and whose use it counts as."""

    coupon = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    buyer = fields.String(load_default="", validate=validate.Length(max=300))


class ListCoupons(Schema):
    active = fields.Boolean(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 500))


class NewCoupon(Schema):
    """满减 (`amount_off` from `min_total`) or `percent_off` capped by `max_off`; money in fen."""

    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{3,64}$"))
    name = fields.String(required=True, validate=validate.Length(1, 100))
    kind = fields.String(required=True, validate=validate.OneOf(["amount", "percent"]))
    amount_off = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 10**10))
    percent_off = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 100))
    max_off = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 10**10))
    min_total = fields.Integer(load_default=0, strict=True, validate=MONEY)
    scope = fields.String(load_default="all", validate=validate.OneOf(["all", "sku", "category"]))
    scope_value = fields.String(load_default=None, validate=validate.Length(1, 64))
    valid_from = fields.AwareDateTime(load_default=None)
    valid_until = fields.AwareDateTime(load_default=None)
    single_use = fields.Boolean(load_default=False)
    total_limit = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 10**9))
    per_buyer_limit = fields.Integer(load_default=None, strict=True, validate=validate.Range(1, 10**6))

    @validates_schema
    def consistent(self, data, **kwargs):
        if data["kind"] == "amount" and (data["amount_off"] is None or data["percent_off"] is not None):
            raise ValidationError("an amount coupon has amount_off and no percent_off", "amount_off")
        if data["kind"] == "amount" and data["max_off"] is not None:
            raise ValidationError("only a percentage has a cap", "max_off")
        if data["kind"] == "percent" and (data["percent_off"] is None or data["amount_off"] is not None):
            raise ValidationError("a percent coupon has percent_off and no amount_off", "percent_off")
        if (data["scope"] == "all") != (data["scope_value"] is None):
            raise ValidationError("scope_value names the SKU or category (none for all)", "scope_value")
        if data["valid_from"] and data["valid_until"] and data["valid_until"] <= data["valid_from"]:
            raise ValidationError("valid_until must be after valid_from", "valid_until")


class Announcement(Schema):
    """The storefront's announcement (公告): plain text, line breaks kept; empty: none shown."""

    text = fields.String(required=True, validate=validate.Length(max=2000))

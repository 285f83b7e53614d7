"""Catalog RPC payloads (this service's own copies; the gateway keeps the HTTP ones).
Money is integer minor units here."""

from datetime import time

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")
ORDER_NO = validate.Regexp(r"^[A-Za-z0-9_-]{6,64}$")
MONEY = validate.Range(0, 10**10)
QUANTITY = validate.Range(1, 10_000)


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


class NewProduct(ProductChanges):
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = fields.Integer(required=True, strict=True, validate=MONEY)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY", "USD", "USDT"]))
    delivery = fields.String(required=True, validate=validate.OneOf(["card", "recharge", "manual"]))
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

"""Catalog RPC payloads (this service's own copies; the gateway keeps the HTTP ones)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema


class ListProducts(Schema):
    category = fields.String(load_default=None, validate=validate.Length(max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=256))



SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")


class NewProduct(Schema):
    """Admin input (the gateway has already turned the price into minor units)."""
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**10))
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY", "USD", "USDT"]))
    delivery = fields.String(required=True, validate=validate.OneOf(["card", "recharge", "manual"]))
    min_quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 10_000))
    max_quantity = fields.Integer(load_default=10, strict=True, validate=validate.Range(1, 10_000))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 10**6))

    @validates_schema
    def quantity_bounds(self, data, **kwargs):
        if data.get("min_quantity", 1) > data.get("max_quantity", 10):
            raise ValidationError("must not be above max_quantity", "min_quantity")

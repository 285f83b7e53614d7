"""The public catalog (gateway/routes/catalog.py)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.schemas.common import QUANTITY, Money


class ProductQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # stray query parameters (cache busters) are ignored

    category = fields.String(validate=validate.Length(1, 64))
    q = fields.String(validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=[validate.Length(1, 256), validate.Regexp(r"^[A-Za-z0-9_-]+$")])


DELIVERIES = ["card", "loop", "recharge", "manual"]  # fixed when a product is made


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    price = Money()
    currency = fields.String(metadata={"example": "CNY"})
    delivery = fields.String(
        metadata={
            "enum": DELIVERIES,
            "description": "card: each code sold once; loop (循环卡密): the same code(s) to every order;"
            " recharge: topped up to the buyer's account; manual",
        }
    )
    stock = fields.Integer(allow_none=True)
    min_quantity = fields.Integer()
    max_quantity = fields.Integer()
    description = fields.String()


class ProductList(Schema):
    items = fields.List(fields.Nested(Product))
    next_cursor = fields.String(allow_none=True)


class QuoteQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    quantity = fields.Integer(required=True, validate=QUANTITY)


class Quote(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = Money()
    total = Money()
    currency = fields.String()
    rule = fields.Dict(metadata={"description": "the price rule applied: base, level or promotion"})

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


class GroupRef(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()


class Spec(Schema):
    sku = fields.String()
    spec_label = fields.String(metadata={"example": "100 元"})
    price = Money()
    currency = fields.String()
    stock = fields.Integer(allow_none=True)


class Tier(Schema):
    min_quantity = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(2, 10_000),
        metadata={"description": "from this many units in one order on"},
    )
    price = Money(required=True, metadata={"description": "the unit price at this tier"})


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
    group = fields.Nested(
        GroupRef, metadata={"description": "the product (group) this SKU is one spec of; absent outside a group"}
    )
    spec_label = fields.String(
        allow_none=True, metadata={"description": "this spec's name in its group (null: none); absent outside a group"}
    )


class ProductDetail(Product):
    specs = fields.List(
        fields.Nested(Spec),
        metadata={"description": "the group's specs on sale, this one among them; absent outside a group"},
    )
    wholesale_tiers = fields.List(
        fields.Nested(Tier), metadata={"description": "lowest first; absent when the SKU has none"}
    )


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
    rule = fields.Dict(metadata={"description": "the price rule applied: base, wholesale, level or promotion"})

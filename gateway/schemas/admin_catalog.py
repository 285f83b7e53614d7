"""The catalog's admin API (gateway/routes/admin_catalog.py) and its console pages. The gateway's own
HTTP schemas: the catalog checks its rules again on its side."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from gateway.schemas.catalog import DELIVERIES, GroupRef, Product, Spec, Tier
from gateway.schemas.common import CURRENCY, QUANTITY, SKU, Money, Timestamp


class ProductChanges(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    category = fields.String(validate=validate.Length(1, 64))
    price = Money()
    currency = fields.String(validate=CURRENCY)
    min_quantity = fields.Integer(strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(strict=True, validate=QUANTITY)
    description = fields.String(validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(strict=True, validate=validate.Range(0, 1_000_000))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-(10**6), 10**6))
    active = fields.Boolean()
    group_id = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(1, 2**62),
        metadata={"description": "make this SKU a spec of that product group; null: none"},
    )
    spec_label = fields.String(
        allow_none=True,
        validate=validate.Length(1, 40),
        metadata={"example": "100 元", "description": "the spec's name"},
    )
    delivery = fields.String(
        validate=validate.OneOf(DELIVERIES),
        metadata={"description": "fixed when the product is made: another value is refused (409 conflict)"},
    )


class NewProduct(ProductChanges):
    sku = fields.String(required=True, validate=SKU)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = Money(required=True)
    currency = fields.String(load_default="CNY", validate=CURRENCY)
    delivery = fields.String(
        required=True,
        validate=validate.OneOf(DELIVERIES),
        metadata={
            "description": "card: each code sold once; loop (循环卡密): every order gets the same code(s), "
            "e.g. a shared course key; recharge; manual. Fixed from now on: single-sale and loop codes "
            "never share a product"
        },
    )
    stock = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(0, 10**9),
        metadata={
            "description": "not for card products (their stock is their codes): the counted stock, or for a loop "
            "product the number of sales it may make (its cap); null or absent: unlimited"
        },
    )
    min_quantity = fields.Integer(load_default=1, strict=True, validate=QUANTITY)
    max_quantity = fields.Integer(load_default=10, strict=True, validate=QUANTITY)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 1_000_000))


class AdminProduct(Product):
    active = fields.Boolean()
    low_stock_threshold = fields.Integer()
    sort_order = fields.Integer()


class ProductGroupChanges(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    description = fields.String(validate=validate.Length(max=5000))


class NewProductGroup(ProductGroupChanges):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))


class AdminSpec(Spec):
    active = fields.Boolean()


class ProductGroup(GroupRef):
    specs = fields.List(fields.Nested(AdminSpec))


class WholesaleTiers(Schema):
    tiers = fields.List(
        fields.Nested(Tier),
        required=True,
        validate=validate.Length(max=20),
        metadata={
            "description": "the SKU's whole list (replaces the last; [] removes them): "
            "distinct min quantities, each higher tier cheaper"
        },
    )

    @validates_schema
    def distinct(self, data, **kwargs):
        seen = [t["min_quantity"] for t in data.get("tiers", [])]
        if len(seen) != len(set(seen)):
            raise ValidationError("min quantities must be distinct", "tiers")


class WholesaleTiersSet(Schema):
    sku = fields.String()
    tiers = fields.List(fields.Nested(Tier))


class Category(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    parent = fields.String(allow_none=True, load_default=None, validate=validate.Length(1, 64))
    sort_order = fields.Integer(load_default=0, strict=True, validate=validate.Range(-(10**6), 10**6))
    requires_real_name = fields.Boolean(
        load_default=False, metadata={"description": "orders in it need a buyer with real-name verification"}
    )
    archived = fields.Boolean(dump_only=True, metadata={"description": "hidden from the storefront, takes no product"})


class CategoryChanges(Schema):
    name = fields.String(validate=validate.Length(1, 64))
    parent = fields.String(allow_none=True, validate=validate.Length(1, 64))
    sort_order = fields.Integer(strict=True, validate=validate.Range(-(10**6), 10**6))
    requires_real_name = fields.Boolean()
    archived = fields.Boolean(
        metadata={
            "description": "true: hidden from the storefront and takes no product (409 while it or a category "
            "inside it holds an active product); false: back"
        }
    )


class CategoryList(Schema):
    items = fields.List(fields.Nested(Category))


class LevelPrice(Schema):
    price = Money(required=True, allow_none=True, metadata={"description": "null removes the level's price"})


class LevelPriceSet(Schema):
    sku = fields.String()
    level = fields.String()
    price = Money(allow_none=True)


class Promotion(Schema):
    ONE_OF = (("percent_off", "price"),)  # a discount or a price, never both (/openapi.json: oneOf)

    id = fields.Integer(dump_only=True)
    sku = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 100))
    percent_off = fields.Integer(strict=True, validate=validate.Range(1, 99), allow_none=True)
    price = Money(allow_none=True)
    weekdays = fields.List(
        fields.Integer(validate=validate.Range(1, 7)),
        validate=validate.Length(1, 7),
        metadata={"description": "ISO weekdays, 1 = Monday"},
    )
    starts = fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "20:00"})
    ends = fields.String(validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"), metadata={"example": "22:00"})
    timezone = fields.String(validate=validate.Length(1, 64), metadata={"example": "Asia/Shanghai"})
    valid_from = Timestamp(allow_none=True, validate=validate.Length(max=40))
    valid_until = Timestamp(allow_none=True, validate=validate.Length(max=40))
    active = fields.Boolean(dump_only=True)

    @validates_schema
    def one_of(self, data, **kwargs):
        for group in self.ONE_OF:
            if sum(data.get(name) is not None for name in group) != 1:
                raise ValidationError(f"exactly one of {', '.join(group)}", group[0])


class StockLevel(Schema):
    sku = fields.String()
    name = fields.String()
    active = fields.Boolean()
    counted = fields.Boolean()
    available = fields.Integer()
    reserved = fields.Integer()
    sold = fields.Integer()
    low_stock_threshold = fields.Integer()
    low = fields.Boolean()


class StockReport(Schema):
    items = fields.List(fields.Nested(StockLevel))


class StockSet(Schema):
    stock = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(0, 10**9),
        metadata={"description": "null: unlimited"},
    )


class ImportQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    separator = fields.String(load_default=",", validate=validate.OneOf([",", "|", "----", "\t", " ", ";"]))


class Rejected(Schema):
    line = fields.Integer()
    reason = fields.String()


class ImportResult(Schema):
    imported = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(Rejected))
    rejected_total = fields.Integer()


class CodeQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(["available", "reserved", "sold", "retired"]))
    reveal = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))
    after_id = fields.Integer(load_default=0, validate=validate.Range(0))


class AdminCode(Schema):
    id = fields.Integer()
    code = fields.String()
    secret = fields.String(allow_none=True)
    expires_on = fields.String(allow_none=True)
    status = fields.String()
    order_no = fields.String(allow_none=True)


class CodeList(Schema):
    items = fields.List(fields.Nested(AdminCode))
    next_after_id = fields.Integer(allow_none=True)

"""The gateway's HTTP schemas: they validate requests, shape responses and generate /openapi.json."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from services.common.money import format_minor, parse_minor


class Money(fields.Field):
    """A decimal string with at most two places ("9.90") <-> integer minor units. Numbers are
    refused: a JSON number is a float to most clients, and money is never a float."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", pattern=r"^\d+(\.\d{1,2})?$",
                                                 example="9.90")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_minor(value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return parse_minor(value)
        except ValueError:
            raise ValidationError('a decimal string such as "9.90"') from None


class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={"enum": [
        "validation_error", "unauthorized", "forbidden", "not_found", "method_not_allowed",
        "out_of_stock", "conflict", "payload_too_large", "unsupported_media_type",
        "idempotency_mismatch", "rate_limited", "internal_error", "unavailable"]})
    message = fields.String(required=True)
    details = fields.Dict()


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


class ProductQuery(Schema):
    class Meta:
        unknown = EXCLUDE          # stray query parameters (cache busters) are ignored

    category = fields.String(validate=validate.Length(1, 64))
    q = fields.String(validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=[validate.Length(1, 256), validate.Regexp(r"^[A-Za-z0-9_-]+$")])


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    price = Money()
    currency = fields.String(metadata={"example": "CNY"})
    delivery = fields.String(metadata={"enum": ["card", "recharge", "manual"]})
    stock = fields.Integer(allow_none=True)
    min_quantity = fields.Integer()
    max_quantity = fields.Integer()
    description = fields.String()


class ProductList(Schema):
    items = fields.List(fields.Nested(Product))
    next_cursor = fields.String(allow_none=True)


class NewProduct(Schema):
    sku = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)"))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    category = fields.String(required=True, validate=validate.Length(1, 64))
    price = Money(required=True)
    currency = fields.String(load_default="CNY", validate=validate.OneOf(["CNY", "USD", "USDT"]))
    delivery = fields.String(required=True, validate=validate.OneOf(["card", "recharge", "manual"]))
    min_quantity = fields.Integer(load_default=1, strict=True, validate=validate.Range(1, 10_000))
    max_quantity = fields.Integer(load_default=10, strict=True, validate=validate.Range(1, 10_000))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    low_stock_threshold = fields.Integer(load_default=0, strict=True,
                                         validate=validate.Range(0, 1_000_000))


class ServiceHealth(Schema):
    status = fields.String()
    database = fields.String()


class Health(Schema):
    status = fields.String(metadata={"enum": ["ok", "unavailable"]})
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth))


def health(answers):
    """(status, body) of /healthz from each service's ping answer (or the exception instead)."""
    services = {name: ({"status": "ok", **answer} if not isinstance(answer, Exception)
                       else {"status": "unavailable", "database": "unknown"})
                for name, answer in sorted(answers.items())}
    healthy = all(s["status"] == "ok" for s in services.values())
    body = Health().dump({"status": "ok" if healthy else "unavailable", "services": services})
    if not healthy:
        body["error"] = {"code": "unavailable", "message": "not every service answered"}
    return (200 if healthy else 503), body

"""The gateway's HTTP schemas: they validate requests, shape responses and generate /openapi.json."""
from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.money import format_minor


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
    cursor = fields.String(validate=validate.Length(1, 256))


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    category = fields.String()
    price = fields.Function(lambda p: format_minor(p["price"]), metadata={"example": "9.90"})
    currency = fields.String(metadata={"example": "CNY"})
    delivery = fields.String(metadata={"enum": ["card", "recharge", "manual"]})
    stock = fields.Integer(allow_none=True)
    min_quantity = fields.Integer()
    max_quantity = fields.Integer()
    description = fields.String()


class ProductList(Schema):
    items = fields.List(fields.Nested(Product))
    next_cursor = fields.String(allow_none=True)


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

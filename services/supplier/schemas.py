"""The supplier service's RPC payloads (the registry's admin commands), with their bounds. The
gateway checks HTTP bodies for shape; these are the service's own definition of each command.
Money is integer minor units."""

import json

from marshmallow import Schema, ValidationError, fields, validate

NAME = validate.Length(1, 100)
SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - (max 64)")
MONEY = validate.Range(0, 10**12)
MOST_JSON = 8192  # bytes of a connection's settings or credentials, as JSON


class NewSupplier(Schema):
    name = fields.String(required=True, validate=NAME)
    contact = fields.String(required=True, validate=validate.Length(1, 254))


class Document(Schema):
    name = fields.String(required=True, validate=NAME)
    number = fields.String(required=True, validate=NAME)


class Approval(Schema):
    documents = fields.List(fields.Nested(Document), required=True, validate=validate.Length(1, 20))
    valid_until = fields.Date(required=True)


def _small(value):
    if len(json.dumps(value)) > MOST_JSON:
        raise ValidationError(f"at most {MOST_JSON} bytes as JSON")


class Connection(Schema):
    adapter = fields.String(required=True, validate=validate.Length(1, 32))
    base_url = fields.Url(
        required=True, schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2048)
    )
    settings = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        load_default=dict,
        validate=[validate.Length(max=50), _small],
    )
    # left out: kept as they are; null: cleared
    credentials = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=fields.String(validate=validate.Length(max=4096)),
        allow_none=True,
        validate=[validate.Length(max=50), _small],
    )


class Mapping(Schema):
    supplier_product_id = fields.String(required=True, validate=validate.Length(1, 128))
    cost_price = fields.Integer(strict=True, required=True, validate=MONEY)
    priority = fields.Integer(strict=True, load_default=100, validate=validate.Range(0, 1_000_000))
    enabled = fields.Boolean(load_default=True)
    hourly_cap = fields.Integer(strict=True, load_default=None, allow_none=True, validate=MONEY)


class SkuPath(Schema):
    sku = fields.String(required=True, validate=SKU)

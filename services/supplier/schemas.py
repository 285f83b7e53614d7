"""The supplier service's own schemas: RPC payloads (the registry's admin commands, the signed
push) and event data, with bounds on every field. The gateway checks HTTP bodies for shape; these
are the service's own definition of each command. Money is integer minor units."""

import json
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

NAME = validate.Length(1, 100)
SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", error="letters, digits, . _ - (max 64)")
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


# -- the signed push ---------------------------------------------------------------------------

MAX_CODES = 10_000
MAX_STOCK = 10**9
# A code or secret as long as a line of the admin's import file may be: the catalog's own rules
# (512 characters, no control characters) then reject it as a line, the same report as the admin's.
MAX_FIELD_CHARS = 4096
PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*\Z", error="no control characters")


class Strict(Schema):
    class Meta:
        unknown = RAISE


class PushedCode(Strict):
    code = fields.String(required=True, validate=validate.Length(1, MAX_FIELD_CHARS))
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_FIELD_CHARS))
    expires_on = fields.Date(load_default=None, allow_none=True)  # YYYY-MM-DD


class InventoryPush(Strict):
    """POST /api/v1/supplier/inventory: new codes for a card SKU, or this supplier's level of a
    counted one (exactly one of `codes`, `stock`)."""

    batch_id = fields.String(required=True, validate=[validate.Length(1, 64), PRINTABLE])
    sku = fields.String(required=True, validate=SKU)
    codes = fields.List(
        fields.Nested(PushedCode),
        validate=validate.Length(1, MAX_CODES, error=f"from 1 to {MAX_CODES:,} codes"),
    )
    stock = fields.Integer(strict=True, validate=validate.Range(0, MAX_STOCK))

    @validates_schema
    def one_of(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("codes" in data) == ("stock" in data):
            raise ValidationError("give either codes or stock", "_schema")


class InventoryImported(Schema):
    """The catalog's answer to a push (event data of catalog.inventory_imported)."""

    class Meta:
        unknown = EXCLUDE  # fields a later catalog adds

    supplier_id = fields.Integer(required=True)
    batch_id = fields.String(required=True)
    sku = fields.String(required=True)
    imported = fields.Integer(required=True)
    duplicates = fields.Integer(required=True)
    rejected = fields.List(fields.Dict(), required=True)

"""The supplier service's own schemas: RPC payloads and event data, bounds on every field."""

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

MAX_CODES = 10_000
MAX_STOCK = 10**9
# A code or secret as long as a line of the admin's import file may be: the catalog's own rules
# (512 characters, no control characters) then reject it as a line, the same report as the admin's.
MAX_FIELD_CHARS = 4096
SKU = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z", error="letters, digits, . _ - (max 64)")
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

"""The supplier API's HTTP shapes (DESIGN §6), for /openapi.json and the answers. The push's
body is validated by the supplier service, after the signature (a 401 comes before a 400)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.admin_catalog import Rejected
from gateway.schemas.common import SKU


class PushedCode(Schema):
    code = fields.String(required=True, validate=validate.Length(1, 4096))
    secret = fields.String(allow_none=True, validate=validate.Length(max=4096))
    expires_on = fields.Date(allow_none=True, metadata={"description": "YYYY-MM-DD"})


class InventoryPush(Schema):
    batch_id = fields.String(
        required=True,
        validate=validate.Length(1, 64),
        metadata={"description": "the supplier's own id, unique per supplier: a retry sends it again"},
    )
    sku = fields.String(required=True, validate=SKU)
    codes = fields.List(
        fields.Nested(PushedCode),
        validate=validate.Length(1, 10_000),
        metadata={"description": "new codes for card goods (or `stock`, not both)"},
    )
    stock = fields.Integer(
        validate=validate.Range(0, 10**9),
        metadata={"description": "counted goods: this supplier's own available level (absolute)"},
    )


class InventoryAccepted(Schema):
    batch_id = fields.String()
    status = fields.String(metadata={"description": "pending"})


class InventoryBatch(Schema):
    batch_id = fields.String()
    status = fields.String(validate=validate.OneOf(["pending", "done"]))
    imported = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.List(fields.Nested(Rejected))

"""The storefront's announcement (公告, issue 23)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import Timestamp


class Announcement(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(max=2000),
        metadata={"description": "plain text, line breaks kept (no markup: it is shown escaped); empty: none"},
    )
    updated_by = fields.String(dump_only=True, allow_none=True)
    updated_at = Timestamp(dump_only=True, allow_none=True)


class ProductImage(Schema):
    """A product's picture as kept (issue 23)."""

    sku = fields.String()
    content_type = fields.String(metadata={"enum": ["image/jpeg", "image/png", "image/webp"]})
    bytes = fields.Integer(metadata={"description": "its size after resizing"})
    image_version = fields.String()
    url = fields.String(metadata={"description": "where the storefront serves it"})

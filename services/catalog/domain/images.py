"""A product's picture (issue 23). The gateway checks it (JPEG, PNG or WebP by its magic bytes)
and resizes it; the catalog keeps the bytes with their type and names the version (a hash of
the bytes) on the product, so the picture's URL changes whenever the picture does."""

import base64
import binascii
import hashlib
from typing import Any

from sqlalchemy.orm import Session

from services.catalog.models import Product, ProductImage
from services.common import audit
from services.common.errors import InvalidInput, NotFound

TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "image/webp": b"RIFF"}
MAX_BYTES = 1_000_000  # after resizing


def set_image(session: Session, actor: str, sku: str, content_type: str, data_b64: str) -> dict[str, Any]:
    try:
        data = base64.b64decode(data_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("not base64", {"fields": {"data": ["not base64"]}}) from None
    magic = TYPES.get(content_type)
    if magic is None or not data.startswith(magic) or len(data) > MAX_BYTES:
        raise InvalidInput("not a picture we keep", {"fields": {"data": ["JPEG, PNG or WebP, at most 1 MB"]}})
    product = session.get(Product, sku, with_for_update=True)
    if product is None:
        raise NotFound("no such product", {"sku": sku})
    version = hashlib.sha256(data).hexdigest()[:16]
    row = session.get(ProductImage, sku)
    if row is None:
        session.add(ProductImage(sku=sku, content_type=content_type, data=data, version=version, updated_by=actor))
    else:
        row.content_type, row.data, row.version, row.updated_by = content_type, data, version, actor
    product.image_version = version
    audit.record(session, actor, "product.image", sku, {"bytes": len(data), "type": content_type})
    return {"sku": sku, "image_version": version, "content_type": content_type, "bytes": len(data)}


def get_image(session: Session, sku: str) -> dict[str, Any]:
    row = session.get(ProductImage, sku)
    if row is None:
        raise NotFound("no picture", {"sku": sku})
    return {"content_type": row.content_type, "version": row.version, "data": base64.b64encode(row.data).decode()}

"""A supplier's adapter, built from its registry row: the adapter kind, base URL and settings,
and its credentials decrypted (they never leave this call)."""

import json

from sqlalchemy.orm import Session

from services.common.crypto import DataKeys
from services.common.errors import NotFound
from services.supplier import adapters
from services.supplier.adapters.base import Adapter
from services.supplier.models import Supplier


def adapter_for(session: Session, keys: DataKeys, supplier_id: int, timeout_s: float) -> Adapter:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None or not supplier.adapter or not supplier.base_url:
        raise NotFound("the supplier has no connection set", {"id": supplier_id})
    credentials = json.loads(keys.decrypt(supplier.credentials)) if supplier.credentials else {}
    return adapters.make(supplier.adapter, supplier.base_url, supplier.settings or {}, credentials, timeout_s)

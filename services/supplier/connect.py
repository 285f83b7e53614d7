"""A supplier's adapter, built from its row: the adapter kind, base URL and settings as stored,
the credentials decrypted (DataKeys) only here, in memory, never logged. Read the row in a
transaction, build and call the adapter after it: no HTTP call while a transaction is open."""

import json
from dataclasses import dataclass
from typing import Any

from services.common.crypto import DataKeys
from services.supplier import adapters
from services.supplier.adapters.base import Adapter
from services.supplier.models import Supplier


@dataclass(frozen=True)
class Endpoint:
    """What it takes to reach a supplier, copied out of its row (safe past the transaction)."""

    supplier_id: int
    kind: str
    base_url: str
    settings: dict[str, Any]
    credentials: bytes | None

    @classmethod
    def of(cls, supplier: Supplier) -> "Endpoint":
        return cls(
            supplier.id,
            supplier.adapter or "generic",
            supplier.base_url or "",
            dict(supplier.settings or {}),
            bytes(supplier.credentials) if supplier.credentials is not None else None,
        )


def adapter(endpoint: Endpoint, keys: DataKeys, timeout_s: float) -> Adapter:
    credentials = json.loads(keys.decrypt(endpoint.credentials)) if endpoint.credentials else {}
    made: Adapter = adapters.make(endpoint.kind, endpoint.base_url, endpoint.settings, credentials, timeout_s)
    return made

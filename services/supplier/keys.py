"""Suppliers' signing keys (DESIGN §7): issued with a secret shown once, several live at a time
(rotation), revoked for good. The mechanics are services/common/keyring.py's (shared with the
agents' keys); this module adds the supplier checks and the audit rows. `authenticate` verifies
a signed call and records its nonce in the caller's transaction, so a request is answered and
its nonce used up together."""

from typing import Any

from sqlalchemy.orm import Session

from services.common import audit, keyring, signing
from services.common.crypto import DataKeys
from services.common.errors import NotFound
from services.supplier.models import Nonce, Supplier, SupplierKey

RING = keyring.Ring(SupplierKey, Nonce, "supplier_id", "sk_")


def issue(session: Session, keys: DataKeys, actor: str, supplier_id: int) -> dict[str, str]:
    if session.get(Supplier, supplier_id) is None:
        raise NotFound("no such supplier", {"id": supplier_id})
    key = keyring.issue(session, keys, RING, supplier_id)
    audit.record(session, actor, "supplier.key_issued", str(supplier_id), {"key_id": key["key_id"]})
    return key


def revoke(session: Session, actor: str, supplier_id: int, key_id: str) -> None:
    if keyring.revoke(session, RING, supplier_id, key_id):
        audit.record(session, actor, "supplier.key_revoked", str(supplier_id), {"key_id": key_id})


def listed(session: Session, supplier_id: int) -> list[dict[str, Any]]:
    return keyring.listed(session, RING, supplier_id)


def authenticate(session: Session, keys: DataKeys, signed: signing.Signed, now: float | None = None) -> Supplier:
    """The supplier whose live key signed this request (401 otherwise; see keyring.authenticate)."""
    supplier = session.get(Supplier, keyring.authenticate(session, keys, RING, signed, now))
    assert supplier is not None  # a key belongs to a supplier (foreign key)
    return supplier


def forget_nonces(session: Session, older_than_s: int = 2 * signing.NONCE_TTL_S) -> int:
    return keyring.forget_nonces(session, RING, older_than_s)

"""Suppliers' signing keys (DESIGN §7): issued with a secret shown once, several live at a time
(rotation), revoked for good. `authenticate` verifies a signed call and records its nonce in
the caller's transaction, so a request is answered and its nonce used up together."""

import secrets
import time
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit, signing
from services.common.crypto import DataKeys
from services.common.errors import NotFound, Unauthorized
from services.supplier.models import Nonce, Supplier, SupplierKey


def issue(session: Session, keys: DataKeys, actor: str, supplier_id: int) -> dict[str, str]:
    if session.get(Supplier, supplier_id) is None:
        raise NotFound("no such supplier", {"id": supplier_id})
    key_id, secret = f"sk_{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    session.add(SupplierKey(key_id=key_id, supplier_id=supplier_id, secret=keys.encrypt(secret)))
    audit.record(session, actor, "supplier.key_issued", str(supplier_id), {"key_id": key_id})
    return {"key_id": key_id, "secret": secret}


def revoke(session: Session, actor: str, supplier_id: int, key_id: str) -> None:
    key = session.get(SupplierKey, key_id, with_for_update=True)
    if key is None or key.supplier_id != supplier_id:
        raise NotFound("no such key", {"key_id": key_id})
    if key.revoked_at is None:
        key.revoked_at = func.now()
        audit.record(session, actor, "supplier.key_revoked", str(supplier_id), {"key_id": key_id})


def listed(session: Session, supplier_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(SupplierKey).where(SupplierKey.supplier_id == supplier_id).order_by(SupplierKey.created_at)
    )
    return [
        {
            "key_id": k.key_id,
            "created_at": k.created_at,
            "revoked_at": k.revoked_at,
            "status": "revoked" if k.revoked_at else "active",
        }
        for k in rows
    ]


def authenticate(session: Session, keys: DataKeys, signed: signing.Signed, now: float | None = None) -> Supplier:
    """The supplier whose live key signed this request; its nonce is recorded (401 if seen).
    Every refusal is 401 `unauthorized`, worded without telling which keys exist."""
    key = session.get(SupplierKey, signed.key_id)
    if key is None or key.revoked_at is not None:
        raise Unauthorized("unknown or revoked key")
    signing.check(signed, keys.decrypt(key.secret), time.time() if now is None else now)
    fresh = session.execute(
        insert(Nonce).values(key_id=key.key_id, nonce=signed.nonce).on_conflict_do_nothing().returning(Nonce.nonce)
    ).first()
    if fresh is None:
        raise Unauthorized("this nonce was used before")
    supplier = session.get(Supplier, key.supplier_id)
    assert supplier is not None  # a key belongs to a supplier (foreign key)
    return supplier


def forget_nonces(session: Session, older_than_s: int = 2 * signing.NONCE_TTL_S) -> int:
    """Nonces older than twice their guaranteed life: a request that old is refused by its timestamp."""
    cutoff = text(f"now() - interval '{int(older_than_s)} seconds'")
    return session.execute(delete(Nonce).where(Nonce.seen_at < cutoff)).rowcount  # type: ignore[attr-defined]

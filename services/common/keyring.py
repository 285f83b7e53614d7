"""Signing keys of machine callers (DESIGN §7), whatever owns them: a supplier (services/supplier)
or an agent (services/account). One implementation of issuing (secret shown once, kept
encrypted), revoking for good, verifying a signed call and using up its nonce in the caller's
transaction, and forgetting old nonces. Each owner keeps its own tables and passes them in as a
`Ring`: its key model (columns key_id, <owner column>, secret, created_at, revoked_at) and its
nonce model (key_id, nonce, seen_at)."""

import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import signing
from services.common.crypto import DataKeys
from services.common.errors import NotFound, Unauthorized


@dataclass(frozen=True)
class Ring:
    key_model: Any  # mapped class
    nonce_model: Any  # mapped class
    owner_column: str  # e.g. "supplier_id", "agent_id"
    prefix: str  # of key ids, e.g. "sk_"


def issue(session: Session, keys: DataKeys, ring: Ring, owner_id: int) -> dict[str, str]:
    """A new live key of `owner_id` (the caller checked the owner exists): {"key_id", "secret"}."""
    key_id, secret = f"{ring.prefix}{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    session.add(ring.key_model(key_id=key_id, secret=keys.encrypt(secret), **{ring.owner_column: owner_id}))
    session.flush()
    return {"key_id": key_id, "secret": secret}


def revoke(session: Session, ring: Ring, owner_id: int, key_id: str) -> bool:
    """Revoke one of the owner's keys (404 for another's); True when it was live until now."""
    key = session.get(ring.key_model, key_id, with_for_update=True)
    if key is None or getattr(key, ring.owner_column) != owner_id:
        raise NotFound("no such key", {"key_id": key_id})
    if key.revoked_at is not None:
        return False
    key.revoked_at = func.now()
    return True


def listed(session: Session, ring: Ring, owner_id: int) -> list[dict[str, Any]]:
    model = ring.key_model
    rows = session.scalars(
        select(model).where(getattr(model, ring.owner_column) == owner_id).order_by(model.created_at)
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


def authenticate(session: Session, keys: DataKeys, ring: Ring, signed: signing.Signed, now: float | None = None) -> int:
    """The owner id of the live key that signed this request; its nonce is recorded (401 if seen).
    Every refusal is 401 `unauthorized`, worded without telling which keys exist."""
    key = session.get(ring.key_model, signed.key_id)
    if key is None or key.revoked_at is not None:
        raise Unauthorized("unknown or revoked key")
    signing.check(signed, keys.decrypt(key.secret), time.time() if now is None else now)
    nonce = ring.nonce_model
    fresh = session.execute(
        insert(nonce).values(key_id=key.key_id, nonce=signed.nonce).on_conflict_do_nothing().returning(nonce.nonce)
    ).first()
    if fresh is None:
        raise Unauthorized("this nonce was used before")
    return int(getattr(key, ring.owner_column))


def forget_nonces(session: Session, ring: Ring, older_than_s: int = 2 * signing.NONCE_TTL_S) -> int:
    """Nonces older than twice their guaranteed life: a request that old is refused by its timestamp."""
    cutoff = text(f"now() - interval '{int(older_than_s)} seconds'")
    nonce = ring.nonce_model
    return int(session.execute(delete(nonce).where(nonce.seen_at < cutoff)).rowcount)  # type: ignore[attr-defined]

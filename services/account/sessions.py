"""Sessions of buyers, staff (issue 18) and agents in their console (issue 19): a random token
handed to the client once (a cookie, or a bearer for API use), kept here only as its SHA-256.
A session is live until it expires, is revoked (signing out, an admin ending it), or its
person's `credential_version` moves on (a password change or a TOTP reset ends every session made
with the old credential; an agent's key revoked ends its console sessions)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as Db

from services.account.models import Agent, Buyer, Session, Staff

KINDS: dict[str, type[Buyer] | type[Staff] | type[Agent]] = {"buyer": Buyer, "staff": Staff, "agent": Agent}


@dataclass(frozen=True)
class Live:
    kind: str
    subject_id: int
    person: Any  # the Buyer or Staff row


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def start(db: Db, kind: str, person: Any, ttl_s: int, ip: str | None = None) -> str:
    """A new session of `person` (a Buyer, Staff or Agent row): answers its token, shown only now."""
    token = secrets.token_urlsafe(32)
    db.add(
        Session(
            token_hash=digest(token),
            kind=kind,
            subject_id=person.id,
            credential_version=person.credential_version,
            ip=ip,
            expires_at=func.now() + timedelta(seconds=ttl_s),
        )
    )
    return token


def resolve(db: Db, token: str, kind: str) -> Live | None:
    """The live session of this token, with its person; None for anything else (unknown, expired,
    revoked, made with an old credential, of another kind, a disabled staff member or agent)."""
    if not token or len(token) > 128:
        return None
    model = KINDS[kind]
    row = db.execute(
        select(Session, model)
        .join(model, model.id == Session.subject_id)
        .where(
            Session.token_hash == digest(token),
            Session.kind == kind,
            Session.revoked_at.is_(None),
            Session.expires_at > func.now(),
            Session.credential_version == model.credential_version,
        )
    ).first()
    if row is None:
        return None
    session, person = row
    if getattr(person, "disabled_at", None) is not None or getattr(person, "status", "active") != "active":
        return None
    return Live(kind, session.subject_id, person)


def end(db: Db, token: str) -> None:
    db.execute(
        update(Session)
        .where(Session.token_hash == digest(token), Session.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


def end_all(db: Db, kind: str, subject_id: int) -> int:
    """Every live session of one person (an admin's "sign out everywhere")."""
    return db.execute(  # type: ignore[attr-defined]
        update(Session)
        .where(Session.kind == kind, Session.subject_id == subject_id, Session.revoked_at.is_(None))
        .values(revoked_at=func.now())
    ).rowcount


def new_credential(person: Any) -> None:
    """The person's password or second factor changed: every session made before ends."""
    person.credential_version = person.credential_version + 1

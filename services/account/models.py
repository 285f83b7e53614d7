"""The account service's tables (schema `account`, issue 18): buyers, staff, the sessions both
sign in with, and the member levels. Secrets are hashed (passwords: argon2id; session tokens:
SHA-256) or encrypted (TOTP secrets, real-name details: DataKeys). Each person's row carries a
`credential_version`: changing a password or resetting TOTP bumps it, which ends every session
made with the old credential."""

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, ForeignKey, Integer, LargeBinary, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("account")


metadata = Base.metadata


class Buyer(Base):
    __tablename__ = "buyers"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email: Mapped[str | None] = mapped_column(Text, unique=True)  # lower-cased
    phone: Mapped[str | None] = mapped_column(Text, unique=True)  # E.164, e.g. +8613800138000
    name: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str] = mapped_column(Text)
    credential_version: Mapped[int] = mapped_column(Integer, server_default="1")
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total_spent: Mapped[int] = mapped_column(BigInteger, server_default="0")  # minor units, completed orders
    level: Mapped[str | None] = mapped_column(Text)  # a member level's name, or none
    real_name: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted {"name", "id_number"}
    real_name_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(Text, unique=True)  # lower-cased; the sign-in name
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)  # owner | operator | support | finance
    password_hash: Mapped[str] = mapped_column(Text)
    credential_version: Mapped[int] = mapped_column(Integer, server_default="1")
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # sign-in failures (migration 0003_staff): a run of failures locks the account for a while
    failed_sign_ins: Mapped[int] = mapped_column(Integer, server_default="0")
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a TOTP code is good once


class Session(Base):
    """A signed-in browser (or client) of a buyer or a staff member. Only the token's SHA-256 is
    kept. It ends when it expires, is revoked, or its person's credential_version moves on."""

    __tablename__ = "sessions"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)  # buyer | staff
    subject_id: Mapped[int] = mapped_column(BigInteger)
    credential_version: Mapped[int] = mapped_column(Integer)
    ip: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MemberLevel(Base):
    """A member level: reached by a buyer whose completed orders total at least `threshold`. Its
    name is the one the catalog's level prices use."""

    __tablename__ = "member_levels"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    threshold: Mapped[int] = mapped_column(BigInteger)  # minor units
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BuyerToken(Base):
    """A one-time link mailed to a buyer (verify the e-mail, reset the password): only its
    SHA-256 is kept; it works once, before `expires_at`."""

    __tablename__ = "buyer_tokens"
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    purpose: Mapped[str] = mapped_column(Text)  # verify_email | reset_password
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Mail(Base):
    """A mail to send (services/account/mails.py), recorded in the transaction that caused it and
    sent after the commit. The body holds a one-time link: it is encrypted (DataKeys)."""

    __tablename__ = "mails"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    to_address: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted
    status: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | sent | off | failed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecoveryCode(Base):
    """A staff member's single-use recovery code (instead of a TOTP code), kept as its SHA-256."""

    __tablename__ = "staff_recovery_codes"
    code_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Staff.id))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffToken(Base):
    """An API token for automation: a staff member's, scoped to roles that never exceed theirs,
    kept as its SHA-256; it stops with its revocation or its owner's disabling."""

    __tablename__ = "staff_tokens"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    staff_id: Mapped[int] = mapped_column(BigInteger, ForeignKey(Staff.id))
    name: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

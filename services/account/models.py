"""The account service's tables (schema `account`, issue 18): buyers, staff, the sessions both
sign in with, and the member levels. Secrets are hashed (passwords: argon2id; session tokens:
SHA-256) or encrypted (TOTP secrets, real-name details: DataKeys). Each person's row carries a
`credential_version`: changing a password or resetting TOTP bumps it, which ends every session
made with the old credential."""

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
)
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
    campaign_mails: Mapped[bool] = mapped_column(Boolean, server_default="false")  # opted in (issue 22)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # referrals (migration 0008_referrals, services/account/referrals.py)
    referral_code: Mapped[str | None] = mapped_column(Text, unique=True)
    referred_by: Mapped[int | None] = mapped_column(BigInteger)  # the referring buyer's id
    referred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    signup_ip: Mapped[str | None] = mapped_column(Text)
    signup_device: Mapped[str | None] = mapped_column(Text)


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
    kind: Mapped[str] = mapped_column(Text)  # buyer | staff | agent
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


# -- agents and the ledger (issue 19, migration 0004_agents) ---------------------------------


class AgentLevel(Base):
    """An agent level (a separate list from member levels): its price is the catalog's level
    price named "agent:<name>"; `rank` orders the list (lower first)."""

    __tablename__ = "agent_levels"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Agent(Base):
    """An agent (代理/分销商) in the tree. `markup_bp`: what it adds, in basis points of its own
    buying price, when it sells to its sub-agents; it must lie within its parent's
    `sub_markup_min_bp`..`sub_markup_max_bp` (the limits this agent in turn sets for its own)."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer)  # 1 for a top-level agent
    level: Mapped[str] = mapped_column(Text, ForeignKey("account.agent_levels.name"))
    status: Mapped[str] = mapped_column(Text, server_default="active")  # active | disabled
    ip_allowlist: Mapped[list[str] | None] = mapped_column(ARRAY(Text))  # CIDRs; none: any address
    markup_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    sub_markup_min_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    sub_markup_max_bp: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # the console and the sub-store (migration 0005_agent_console)
    credential_version: Mapped[int] = mapped_column(Integer, server_default="1")  # a key revoked: +1
    store_name: Mapped[str | None] = mapped_column(Text)
    slug: Mapped[str | None] = mapped_column(Text, unique=True)  # the sub-store at /s/<slug>/
    retail_markup_bp: Mapped[int] = mapped_column(Integer, server_default="0")  # buyers' price over its own


class AgentKey(Base):
    """A key an agent signs its open-API calls with (DESIGN §7), secret encrypted (DataKeys)."""

    __tablename__ = "agent_keys"
    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AgentNonce(Base):
    __tablename__ = "agent_nonces"
    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    nonce: Mapped[str] = mapped_column(Text, primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class LedgerAccount(Base):
    """An account of the double-entry ledger. `balance` caches the sum of its entries (the
    integrity check compares them). `floor`: the lowest balance a spend may leave (0, or minus
    an agent's credit limit); only a commission clawed back may go below it."""

    __tablename__ = "ledger_accounts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(Text, unique=True)  # "agent:12:wallet", "platform:revenue", ...
    agent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    balance: Mapped[int] = mapped_column(BigInteger, server_default="0")
    floor: Mapped[int | None] = mapped_column(BigInteger)  # None: no floor (platform accounts)
    currency: Mapped[str] = mapped_column(Text, server_default="CNY")


class LedgerTransaction(Base):
    """One balanced movement: its entries sum to zero (checked in code, and at commit by a
    deferred constraint trigger). `idem_key` makes booking it again a no-op."""

    __tablename__ = "ledger_transactions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    idem_key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # whose statement shows it
    order_no: Mapped[str | None] = mapped_column(Text, index=True)
    memo: Mapped[str | None] = mapped_column(Text)
    request_hash: Mapped[str | None] = mapped_column(Text)  # of the request that asked for it
    answer: Mapped[int | None] = mapped_column(BigInteger)  # the balance its requester was told
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units, signed


class AgentOrder(Base):
    """An agent's order as the ledger knows it: what it paid and what is up with it."""

    __tablename__ = "agent_orders"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    sku: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    top_unit_price: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="charged")  # charged | completed | refunded
    kind: Mapped[str] = mapped_column(Text, server_default="wallet")  # wallet | retail (a buyer paid: sales.retail)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Commission(Base):
    """One agent's profit share of one order: held (order not completed), pending (completed,
    inside the settlement window), settled (in its wallet), cancelled (refunded before
    settlement) or clawed_back (refunded after: a debt in its wallet)."""

    __tablename__ = "commissions"
    __table_args__ = (UniqueConstraint("order_no", "agent_id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    order_no: Mapped[str] = mapped_column(Text, ForeignKey("account.agent_orders.order_no"))
    agent_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, server_default="held")
    settle_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Withdrawal(Base):
    """An agent's request to be paid out from its wallet; finance approves or rejects it."""

    __tablename__ = "withdrawals"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("account.agents.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, server_default="requested")  # requested | approved | rejected
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(Text)


class ReferralCashback(Base):
    """A referrer's cashback on a referred buyer's completed order (issue 22): booked through the
    ledger (`cashback:<order_no>`), reversed on refund (`cashback_reversed:<order_no>`)."""

    __tablename__ = "referral_cashbacks"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    referrer_id: Mapped[int] = mapped_column(BigInteger, index=True)
    referred_id: Mapped[int] = mapped_column(BigInteger, index=True)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    booked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, LargeBinary, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("payment")


metadata = Base.metadata


class Payment(Base):
    __tablename__ = "payments"
    payment_no: Mapped[str] = mapped_column(Text, primary_key=True)
    order_no: Mapped[str] = mapped_column(Text, unique=True)
    channel: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # creating | pending | closed | paid | refunding | refunded
    pay_url: Mapped[str | None] = mapped_column(Text)
    qr_code: Mapped[str | None] = mapped_column(Text)
    chain_amount: Mapped[int | None] = mapped_column(BigInteger)  # USDT: the unique amount, micro-USDT
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)  # refunds completed, fen
    # reconciliation's last question; while 'creating', the lease of whoever asks the channel (intents.py)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    channel_trade_no: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refunded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Refund(Base):
    """One refund request, idempotent by refund_no: refunding -> refunded, or refund_failed and
    tried again at next_try_at (NULL: given up, needs a person)."""

    __tablename__ = "refunds"
    refund_no: Mapped[str] = mapped_column(Text, primary_key=True)
    payment_no: Mapped[str] = mapped_column(Text)
    order_no: Mapped[str] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    whole: Mapped[bool] = mapped_column(Boolean)  # the order's refund (saga): refund_completed follows
    status: Mapped[str] = mapped_column(Text)  # refunding | refunded | refund_failed | superseded
    attempts: Mapped[int] = mapped_column(BigInteger, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    channel_refund_no: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Notification(Base):
    """Every notification a channel sent, verified or not: append-only, for audit."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(Text)
    payment_no: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict] = mapped_column(JSONB)
    verified: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(Text)  # paid | repeat | ignored: not paid | rejected/refused: <why>
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # a refused one (anybody can send it): `raw` cut to REFUSED_KEEP bytes, the SHA-256 of the
    # whole, kept once per (channel, sha256) and counted (domain.record_refused)
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary)
    repeats: Mapped[int] = mapped_column(Integer, server_default="1")
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Journal(Base):
    """Money movements (until the ledger of the accounts service): append-only."""

    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payment_no: Mapped[str] = mapped_column(Text)
    order_no: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # payment | refund
    refund_no: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

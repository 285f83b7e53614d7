from datetime import datetime
from typing import ClassVar

from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("order")
    __table__: ClassVar[Table]  # each model maps one Table (the saga writes it in plain SQL)


metadata = Base.metadata


class Order(Base):
    __tablename__ = "orders"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary)  # sha256 of the buyer's token
    status: Mapped[str] = mapped_column(Text)  # written by saga.py only
    reason: Mapped[str | None] = mapped_column(Text)  # why rejected / refunded
    sku: Mapped[str] = mapped_column(Text)
    delivery: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(Text)
    price_rule: Mapped[dict] = mapped_column(JSONB)
    contact: Mapped[str] = mapped_column(Text)
    recharge_account: Mapped[str | None] = mapped_column(Text)
    coupon: Mapped[str | None] = mapped_column(Text)
    payment_channel: Mapped[str] = mapped_column(Text)
    payment_no: Mapped[str | None] = mapped_column(Text)
    pay_url: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(default=False)  # paid after expiry/cancel
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # re-sent requests of this step
    last_requests: Mapped[list] = mapped_column(JSONB, default=list)  # sent on entering the state
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    step_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    codes_shown_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # first reveal
    buyer_id: Mapped[int | None] = mapped_column(BigInteger)  # a signed-in buyer's (account), else a guest's
    agent_id: Mapped[int | None] = mapped_column(BigInteger)  # an agent's order (open API), paid from its wallet
    agent_order_id: Mapped[str | None] = mapped_column(Text)  # the agent's own id: unique per agent
    request_hash: Mapped[bytes | None] = mapped_column(LargeBinary)  # of the agent's first body
    via_agent_id: Mapped[int | None] = mapped_column(BigInteger)  # a buyer's order in an agent's sub-store/link
    points_used: Mapped[int] = mapped_column(Integer, server_default="0")  # points that paid part (issue 22)
    points_earned: Mapped[int] = mapped_column(Integer, server_default="0")  # points its completion earned


class Transition(Base):
    """Every state change of every order, append-only: the admin timeline."""

    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    order_no: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request_hash: Mapped[bytes] = mapped_column(LargeBinary)
    order_no: Mapped[str | None] = mapped_column(Text)
    token: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted
    response: Mapped[bytes | None] = mapped_column(LargeBinary)  # encrypted first answer
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LookupPassword(Base):
    """The query password a buyer chose at checkout, hashed (services/order/lookup.py)."""

    __tablename__ = "lookup_passwords"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    contact: Mapped[str] = mapped_column(Text)  # trimmed, lower case
    password_hash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class DigestMark(Base):
    """Where the `orders_placed` digest got to (services/order/digest.py): one row per digest."""

    __tablename__ = "digest_marks"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_order_no: Mapped[str] = mapped_column(Text)


class PointLot(Base):
    """Points a member holds, by when they expire (services/order/points.py): one lot per order
    that earned them (or per points an order gave back). Spending takes from the lots that expire
    first; `remaining` never goes below zero."""

    __tablename__ = "point_lots"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    order_no: Mapped[str | None] = mapped_column(Text)  # the order that earned or gave them back
    points: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PointEntry(Base):
    """Every movement of a member's points, append-only: earn, spend, release, reverse, expire.
    `detail`: the lots taken ({"lots": [[lot id, points], ...]}) and what could not be taken."""

    __tablename__ = "point_entries"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    buyer_id: Mapped[int] = mapped_column(BigInteger)
    order_no: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    points: Mapped[int] = mapped_column(Integer)  # signed: + to the member, - from them
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

"""The analytics service's tables (schema `analytics`, issue 22). Everything here is built from
the events it consumes; it reads no other service's tables.

- `events`: the raw log, every consumed envelope once (a contact replaced by its hash), in the
  order received (`seq`): `python -m services.analytics.replay` rebuilds the rest from it.
- `orders`: one row per order, each column filled by the event that knows it, in any order.
- `products`: SKU, name, category and price from the catalog's product events.
- `views`: product views per SKU and hour, counted by the gateways and sent in batches.
- `costs`: what replenishment paid the suppliers per SKU (units bought, cost in fen)."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Identity, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("analytics")


metadata = Base.metadata
TS = DateTime(timezone=True)


class Event(Base):
    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(UUID(as_uuid=False), unique=True)
    source: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(TS)
    envelope: Mapped[dict] = mapped_column(JSONB)


class Order(Base):
    __tablename__ = "orders"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime | None] = mapped_column(TS)
    sku: Mapped[str | None] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int | None] = mapped_column(BigInteger)  # fen
    channel: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(BigInteger)  # an agent's own order
    via_agent_id: Mapped[int | None] = mapped_column(BigInteger)  # sold through an agent's store or link
    buyer: Mapped[str | None] = mapped_column(Text)  # hash of the contact
    risk_rejected: Mapped[bool] = mapped_column(Boolean, server_default="false")
    paid_at: Mapped[datetime | None] = mapped_column(TS)
    paid_amount: Mapped[int | None] = mapped_column(BigInteger)
    completed_at: Mapped[datetime | None] = mapped_column(TS)
    refunded_at: Mapped[datetime | None] = mapped_column(TS)
    refund_amount: Mapped[int | None] = mapped_column(BigInteger)


class Product(Base):
    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int | None] = mapped_column(BigInteger)
    seen_at: Mapped[datetime] = mapped_column(TS)  # the event's occurred_at: the newest wins


class View(Base):
    __tablename__ = "views"
    sku: Mapped[str] = mapped_column(Text, primary_key=True)
    hour: Mapped[datetime] = mapped_column(TS, primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger)


class Cost(Base):
    __tablename__ = "costs"
    sku: Mapped[str] = mapped_column(Text, primary_key=True)
    bought: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)  # fen, for `bought` units

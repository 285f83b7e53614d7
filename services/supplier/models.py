"""The supplier service's tables (schema `supplier`): who the suppliers are and whether they may be
used (registry), the keys they sign with, what they source for which SKU, and the batches they
pushed. Recharge attempts and replenishment purchases have their own tables, added by their
migrations."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("supplier")


metadata = Base.metadata


class Supplier(Base):
    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    contact: Mapped[str] = mapped_column(Text)
    # pending -> approved (documents reviewed) ; approved -> suspended (an admin) ; expiry disables
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="false")
    documents: Mapped[list] = mapped_column(JSONB, server_default="[]")  # [{"name", "number"}]
    valid_until: Mapped[date | None] = mapped_column(Date)
    reviewer: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # how to reach the supplier's own API (services/supplier/adapters/): adapter kind, base URL,
    # its non-secret settings; the credentials (keys, passwords) are encrypted (DataKeys)
    adapter: Mapped[str | None] = mapped_column(Text)
    base_url: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    # circuit breaker (recharge): closed | open | half_open, failures in a row, when it opened
    circuit: Mapped[str] = mapped_column(Text, server_default="closed")
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupplierKey(Base):
    """A key a supplier signs its calls with (DESIGN §7). The secret is kept encrypted: the HMAC
    needs it back. Several may be live at once (rotation); a revoked one never works again."""

    __tablename__ = "keys"
    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("supplier.suppliers.id"), index=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Nonce(Base):
    """Nonces seen per key (kept at least 600 s; a timer drops older ones)."""

    __tablename__ = "nonces"
    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    nonce: Mapped[str] = mapped_column(Text, primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class Sourcing(Base):
    """One SKU from one supplier: its product id there, what it costs us, the order in which
    suppliers are tried (lower priority first, then cheaper), and a spending cap per hour."""

    __tablename__ = "sourcing"
    supplier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("supplier.suppliers.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(Text, primary_key=True, index=True)
    supplier_product_id: Mapped[str] = mapped_column(Text)
    cost_price: Mapped[int] = mapped_column(BigInteger)  # minor units
    priority: Mapped[int] = mapped_column(Integer, server_default="100")
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")
    hourly_cap: Mapped[int | None] = mapped_column(BigInteger)  # minor units spent buying per hour; null: default
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Batch(Base):
    """An inventory push, by the supplier's own batch_id. `body_hash` tells a retry (same body:
    answered as the first time) from a reuse (another body: 422)."""

    __tablename__ = "batches"
    supplier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("supplier.suppliers.id"), primary_key=True)
    batch_id: Mapped[str] = mapped_column(Text, primary_key=True)
    sku: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # codes | stock
    body_hash: Mapped[str] = mapped_column(Text)
    lines: Mapped[int] = mapped_column(Integer)  # codes pushed, or 0 for a stock level
    stock: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | done
    imported: Mapped[int] = mapped_column(Integer, server_default="0")
    duplicates: Mapped[int] = mapped_column(Integer, server_default="0")
    rejected: Mapped[list] = mapped_column(JSONB, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


OPEN = ("pending", "unknown")  # an attempt not known to have ended: its supplier may still recharge


class Recharge(Base):
    """A direct recharge the delivery service handed over, by order: trying -> succeeded | failed
    (every usable supplier failed for certain). Ended once; the outcome is announced once."""

    __tablename__ = "recharges"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    sku: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, server_default="trying")
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Attempt(Base):
    """One try of a recharge at one supplier. `attempt_id` (random) is the order id the supplier
    sees, its idempotency key: the same attempt sent again recharges once. At most one attempt of
    an order is open (pending or unknown) at a time (partial unique index): an order is never
    held by two suppliers at once, and an unknown outcome is settled by a query before the next."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index(
            "attempts_one_open_per_order",
            "order_no",
            unique=True,
            postgresql_where=text("status IN ('pending', 'unknown')"),
        ),
    )
    attempt_id: Mapped[str] = mapped_column(Text, primary_key=True)
    order_no: Mapped[str] = mapped_column(Text, ForeignKey("supplier.recharges.order_no"), index=True)
    supplier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("supplier.suppliers.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per order
    status: Mapped[str] = mapped_column(Text, server_default="pending")  # pending | succeeded | failed | unknown
    supplier_order_id: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    callbacks: Mapped[int] = mapped_column(Integer, server_default="0")  # verified callbacks received
    queries: Mapped[int] = mapped_column(Integer, server_default="0")  # the poller's asks (its backoff)
    last_queried_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Purchase(Base):
    """Codes bought from a supplier to refill a SKU (auto-replenish), with what they cost. `cost`
    is reserved against the SKU's hourly cap when the purchase is planned, and set to what was
    really spent once bought (0 when nothing was)."""

    __tablename__ = "purchases"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    sku: Mapped[str] = mapped_column(Text)
    supplier_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("supplier.suppliers.id"))
    request_id: Mapped[str] = mapped_column(Text, unique=True)  # the supplier's idempotency key
    trigger: Mapped[str] = mapped_column(Text)  # the stock_low event id (several purchases on a failover)
    quantity: Mapped[int] = mapped_column(Integer)  # asked for
    bought: Mapped[int] = mapped_column(Integer, server_default="0")
    unit_cost: Mapped[int] = mapped_column(BigInteger)
    cost: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text)  # buying | bought | failed | capped
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

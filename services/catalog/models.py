from datetime import date, datetime, time

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import service_metadata


class Base(DeclarativeBase):
    metadata = service_metadata("catalog")


metadata = Base.metadata


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("catalog.categories.id"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    requires_real_name: Mapped[bool] = mapped_column(default=False)  # orders need a verified buyer (issue 18)
    archived: Mapped[bool] = mapped_column(default=False)  # hidden from the storefront, takes no product (issue 23)


class ProductGroup(Base):
    """One product page holding several specs (issue 24): each spec is a SKU (a Product with this
    group_id and a spec_label), with its own stock, price, tiers and promotions."""

    __tablename__ = "product_groups"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Product(Base):
    """A sellable SKU (DESIGN §6 lists SKUs as products)."""

    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("catalog.categories.id"))
    price: Mapped[int] = mapped_column(BigInteger)  # minor units (fen)
    currency: Mapped[str] = mapped_column(Text, default="CNY")
    delivery: Mapped[str] = mapped_column(Text)  # card | loop | recharge | manual (fixed at creation)
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)
    max_quantity: Mapped[int] = mapped_column(Integer, default=10)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)  # seeded demo data
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("catalog.product_groups.id"))  # a spec of a group
    spec_label: Mapped[str | None] = mapped_column(Text)  # "50 元", "月卡": the spec's name on the group's page
    image_version: Mapped[str | None] = mapped_column(Text)  # its picture's hash (ProductImage), None: none
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class StockLevel(Base):
    """Counters kept in step with codes and reservations in the same transactions, always by one
    atomic UPDATE (the row lock is held only from there to the commit). For card SKUs `available`
    counts available codes; for others `counted` says whether stock is limited."""

    __tablename__ = "stock_levels"
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"), primary_key=True)
    counted: Mapped[bool] = mapped_column(Boolean, default=True)
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    sold: Mapped[int] = mapped_column(BigInteger, default=0)


class LevelPrice(Base):
    __tablename__ = "level_prices"
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"), primary_key=True)
    level: Mapped[str] = mapped_column(Text, primary_key=True)
    price: Mapped[int] = mapped_column(BigInteger)


class WholesaleTier(Base):
    """From `min_quantity` units of a SKU in one order, each unit costs `price` (issue 24)."""

    __tablename__ = "wholesale_tiers"
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"), primary_key=True)
    min_quantity: Mapped[int] = mapped_column(Integer, primary_key=True)
    price: Mapped[int] = mapped_column(BigInteger)


class Promotion(Base):
    """A discount in a weekly time window, in a time zone, optionally within dates."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"))
    name: Mapped[str] = mapped_column(Text)
    percent_off: Mapped[int | None] = mapped_column(SmallInteger)
    price: Mapped[int | None] = mapped_column(BigInteger)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))  # ISO 1 = Monday .. 7
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(Text, default="Asia/Shanghai")
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # the campaign that made it (its copy of the campaign's schedule), none for a SKU's own promotion
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("catalog.campaigns.id"))


class Campaign(Base):
    """A named weekly schedule with one discount over several SKUs or a category (issue 22): its
    discount is one Promotion per SKU (campaign_id set), so pricing keeps its one rule."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    percent_off: Mapped[int] = mapped_column(SmallInteger)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))  # ISO 1 = Monday .. 7
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    timezone: Mapped[str] = mapped_column(Text, default="Asia/Shanghai")
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    category: Mapped[str | None] = mapped_column(Text)  # the category it was made for, if any
    skus: Mapped[list[str]] = mapped_column(ARRAY(Text))
    notify: Mapped[bool] = mapped_column(Boolean, default=True)  # tell opted-in members when a window starts
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CampaignWindow(Base):
    """A window of a campaign that started: one row per (campaign, start), inserted once by
    whichever replica's timer sees it first (ON CONFLICT DO NOTHING); its insert writes the
    `campaign_started` event."""

    __tablename__ = "campaign_windows"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("catalog.campaigns.id"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Coupon(Base):
    """满减 (`amount` off a total of at least `min_total`) or `percent` off (capped by `max_off`),
    for `scope` all, a SKU or a category (`scope_value`); `redeemed` counts live redemptions."""

    __tablename__ = "coupons"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)  # upper case
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)  # amount | percent
    amount_off: Mapped[int | None] = mapped_column(BigInteger)
    percent_off: Mapped[int | None] = mapped_column(SmallInteger)
    max_off: Mapped[int | None] = mapped_column(BigInteger)
    min_total: Mapped[int] = mapped_column(BigInteger, default=0)
    scope: Mapped[str] = mapped_column(Text, default="all")  # all | sku | category
    scope_value: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    single_use: Mapped[bool] = mapped_column(Boolean, default=False)
    total_limit: Mapped[int | None] = mapped_column(Integer)
    per_buyer_limit: Mapped[int | None] = mapped_column(Integer)
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CouponRedemption(Base):
    """An order's use of a coupon: `released` when the order expires, is cancelled, rejected or refunded."""

    __tablename__ = "coupon_redemptions"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("catalog.coupons.id"))
    buyer: Mapped[str] = mapped_column(Text)  # member:<id> or email:<contact, lower case>
    discount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(Text, default="redeemed")  # redeemed | released
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Code(Base):
    __tablename__ = "codes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"))
    code: Mapped[bytes] = mapped_column(LargeBinary)  # Fernet token
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)  # Fernet token
    expires_on: Mapped[date | None] = mapped_column(Date)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary)  # keyed hash, unique per SKU
    hash_key: Mapped[str | None] = mapped_column(Text)  # id of the hash key that made code_hash
    status: Mapped[str] = mapped_column(Text, default="available")  # available | reserved | sold | retired
    order_no: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # retired (support replaced it, issue 21): never sold again; keeps the order it was delivered to
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by: Mapped[str | None] = mapped_column(Text)
    retired_reason: Mapped[str | None] = mapped_column(Text)


class LoopDelivery(Base):
    """A loop code (循环卡密, a product with delivery `loop`) given to an order: every order of the
    SKU gets its codes, each once (the key); the code itself stays `available` for the next."""

    __tablename__ = "loop_deliveries"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("catalog.codes.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"))
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HashKey(Base):
    """The key of the duplicate-code hash, recorded once, encrypted with the data keys (which a
    rotation may replace): services/catalog/domain/hash_keys.py."""

    __tablename__ = "hash_keys"
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Reservation(Base):
    __tablename__ = "reservations"
    order_no: Mapped[str] = mapped_column(Text, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)  # held | released | committed
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CodeImport(Base):
    __tablename__ = "code_imports"
    id: Mapped[str] = mapped_column(UUID(as_uuid=False), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"))
    actor: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, default="staging")  # staging | done | aborted
    staged: Mapped[int] = mapped_column(BigInteger, default=0)
    imported: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notes: Mapped[dict] = mapped_column(JSONB, default=dict)


class SupplierState(Base):
    """An upstream supplier as the catalog sees it: whether its reported levels count now (the
    supplier service says so by `supplier_availability_changed`; `changed_at` orders those)."""

    __tablename__ = "suppliers"
    supplier_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    usable: Mapped[bool] = mapped_column(Boolean, server_default="true")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SupplierLevel(Base):
    """A supplier's last reported level of a counted SKU (absolute: a report replaces the last).
    The SKU's counted `available` holds the sum over the usable suppliers' levels."""

    __tablename__ = "supplier_levels"
    supplier_id: Mapped[int] = mapped_column(ForeignKey("catalog.suppliers.supplier_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"), primary_key=True)
    level: Mapped[int] = mapped_column(BigInteger, server_default="0")
    batch_id: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ShopSetting(Base):
    """A setting of the shop edited in the console (issue 23): the storefront's announcement."""

    __tablename__ = "shop_settings"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProductImage(Base):
    """A product's picture (issue 23), checked and resized by the gateway: JPEG, PNG or WebP."""

    __tablename__ = "product_images"
    sku: Mapped[str] = mapped_column(ForeignKey("catalog.products.sku"), primary_key=True)
    content_type: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

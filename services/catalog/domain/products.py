"""Categories and products (SKUs): public reads, admin writes. A SKU may be one spec of a product
group (services/catalog/domain/groups.py): its public view names the group and its spec label,
and the view of one product lists its group's specs and its wholesale tiers."""

import base64
import binascii
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.domain.groups import existing_group, specs_of
from services.catalog.models import Category, Code, LevelPrice, Product, ProductGroup, StockLevel, WholesaleTier
from services.common import audit, outbox
from services.common.errors import Conflict, InvalidInput, NotFound

AGENT_LEVEL_PREFIX = "agent:"  # agent levels' prices beside member levels', a separate list (DESIGN §3)


def agent_price_level(agent_level: str) -> str:
    """The level-price row of an agent level: "gold" -> "agent:gold"."""
    return AGENT_LEVEL_PREFIX + agent_level


def _encode_cursor(sku: str) -> str:
    return base64.urlsafe_b64encode(sku.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        sku = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sku = "\x00"
    if "\x00" in sku:
        raise InvalidInput("invalid cursor", {"fields": {"cursor": ["not a cursor from this API"]}})
    return sku


def stock_shown(level: StockLevel | None, has_code: bool = True) -> int | None:
    """Codes neither reserved nor sold; None when unlimited. A loop product without a code to
    give has none to sell, whatever its cap."""
    if not has_code:
        return 0
    return level.available if level is not None and level.counted else None


def public(
    product: Product,
    category_name: str,
    level: StockLevel | None,
    has_code: bool = True,
    group: ProductGroup | None = None,
) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "category": category_name,
        "price": product.price,
        "currency": product.currency,
        "delivery": product.delivery,
        "stock": stock_shown(level, has_code),
        "min_quantity": product.min_quantity,
        "max_quantity": product.max_quantity,
        "description": product.description,
        # a product with a picture only (issue 23): its version, for the picture's URL
        **({"image_version": product.image_version} if product.image_version else {}),
        # a spec of a group only: a product outside one keeps DESIGN's shape exactly
        **(
            {}
            if group is None
            else {
                "group": {"id": group.id, "name": group.name, "description": group.description},
                "spec_label": product.spec_label,
            }
        ),
    }


# a loop product (issue 24) sells only while it holds a code to give; any other: true
HAS_CODE = or_(
    Product.delivery != "loop",
    exists().where(Code.sku == Product.sku, Code.status == "available"),
).label("has_code")


def _listing() -> Select[tuple[Product, str, StockLevel, bool, ProductGroup]]:
    return (
        select(Product, Category.name, StockLevel, HAS_CODE, ProductGroup)
        .join(Category, Product.category_id == Category.id)
        .outerjoin(StockLevel, StockLevel.sku == Product.sku)
        .outerjoin(ProductGroup, ProductGroup.id == Product.group_id)
    )


def list_products(
    session: Session,
    category: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    agent_level: str | None = None,
) -> dict[str, Any]:
    """The public listing; with `agent_level`, each price is that agent level's buying price
    (its level price, or retail when it has none: DESIGN §3, no promotion applies to agents)."""
    query = _listing().where(Product.active.is_(True)).order_by(Product.sku).limit(limit + 1)
    if category:
        query = query.where(Category.name == category)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Product.name.ilike(pattern, escape="\\"), Product.sku.ilike(pattern, escape="\\")))
    if cursor:
        query = query.where(Product.sku > _decode_cursor(cursor))
    rows = session.execute(query).all()
    items = [public(*row) for row in rows[:limit]]
    if agent_level and items:
        level = agent_price_level(agent_level)
        prices = dict(
            session.execute(
                select(LevelPrice.sku, LevelPrice.price).where(
                    LevelPrice.level == level, LevelPrice.sku.in_([i["sku"] for i in items])
                )
            )
            .tuples()
            .all()
        )
        items = [{**i, "price": prices.get(i["sku"], i["price"])} for i in items]
    next_cursor = _encode_cursor(rows[limit - 1][0].sku) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def get_product(session: Session, sku: str) -> dict[str, Any]:
    """One product, with its group's active specs (itself among them) when it is in a group and
    its wholesale tiers when it has some: without either it keeps DESIGN's shape exactly."""
    row = session.execute(_listing().where(Product.sku == sku, Product.active.is_(True))).first()
    if row is None:
        raise NotFound("no such product", {"sku": sku})
    view = public(*row)
    if row[0].group_id is not None:
        view["specs"] = specs_of(session, row[0].group_id)
    tiers = wholesale_tiers(session, sku)
    if tiers:
        view["wholesale_tiers"] = tiers
    return view


def wholesale_tiers(session: Session, sku: str) -> list[dict[str, int]]:
    rows = session.execute(
        select(WholesaleTier.min_quantity, WholesaleTier.price)
        .where(WholesaleTier.sku == sku)
        .order_by(WholesaleTier.min_quantity)
    ).all()
    return [{"min_quantity": m, "price": p} for m, p in rows]


def active_product(session: Session, sku: str, lock: bool = False) -> Product:
    query = select(Product).where(Product.sku == sku, Product.active.is_(True))
    product = session.scalars(query.with_for_update() if lock else query).first()
    if product is None:
        raise NotFound("no such product", {"sku": sku})
    return product


def category_id(session: Session, name: str, parent_id: int | None = None) -> int:
    """The id of category `name`, created when new (concurrency-safe); Conflict when archived."""
    session.execute(insert(Category).values(name=name, parent_id=parent_id).on_conflict_do_nothing())
    found, archived = session.execute(select(Category.id, Category.archived).where(Category.name == name)).one()
    if archived:
        raise Conflict("this category is archived: it takes no product", {"category": name})
    return int(found)


def create_product(session: Session, actor: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Admin: a new product (its category created when new); 409 when the SKU exists. Its
    delivery mode is fixed from now on; `stock` (not for card goods, whose stock is their codes)
    limits the stock of counted goods, or the number of sales of a loop product (None: unlimited)."""
    if fields["delivery"] == "card" and fields.get("stock") is not None:
        raise InvalidInput("card stock is the codes imported", {"fields": {"stock": ["not for card products"]}})
    values = {k: v for k, v in fields.items() if k not in ("category", "stock")}
    if values.get("group_id") is not None:
        existing_group(session, values["group_id"])
    row = session.execute(
        insert(Product)
        .values(category_id=category_id(session, fields["category"]), **values)
        .on_conflict_do_nothing()
        .returning(Product.sku)
    ).first()
    if row is None:
        raise Conflict("a product with this SKU exists", {"sku": fields["sku"]})
    cap = fields.get("stock")
    counted = fields["delivery"] == "card" or cap is not None
    session.add(StockLevel(sku=fields["sku"], counted=counted, available=cap or 0, reserved=0, sold=0))
    session.flush()
    product = _admin_view(session, fields["sku"])  # an inactive product too (the public view hides it)
    audit.record(session, actor, "product.create", fields["sku"], fields)
    outbox.add(session, "product_created", product)
    return product


def update_product(session: Session, actor: str, sku: str, fields: dict[str, Any]) -> dict[str, Any]:
    product = session.get(Product, sku, with_for_update=True)
    if product is None:
        raise NotFound("no such product", {"sku": sku})
    changes = dict(fields)
    if changes.pop("delivery", product.delivery) != product.delivery:
        raise Conflict(
            "a product's delivery mode is fixed when it is made: codes sold once and codes sold to every"
            " order (loop) never share a product; make a new product instead",
            {"sku": sku, "delivery": product.delivery},
        )
    before = {key: getattr(product, key) for key in changes if key != "category"}
    if "category" in changes:
        before["category_id"] = product.category_id
        product.category_id = category_id(session, changes.pop("category"))
    if changes.get("group_id") is not None:
        existing_group(session, changes["group_id"])
    for key, value in changes.items():
        setattr(product, key, value)
    if product.min_quantity > product.max_quantity:
        raise InvalidInput(
            "min_quantity above max_quantity", {"fields": {"min_quantity": ["must not be above max_quantity"]}}
        )
    session.flush()
    audit.record(session, actor, "product.update", sku, {**fields, "before": before, "after": fields})
    view = _admin_view(session, sku)
    outbox.add(session, "product_updated", view)
    return view


def _admin_view(session: Session, sku: str) -> dict[str, Any]:
    product, category, level, has_code, group = session.execute(_listing().where(Product.sku == sku)).one()
    return {
        **public(product, category, level, has_code, group),
        "active": product.active,
        "low_stock_threshold": product.low_stock_threshold,
        "sort_order": product.sort_order,
    }


def create_category(
    session: Session,
    actor: str,
    name: str,
    parent: str | None = None,
    sort_order: int = 0,
    requires_real_name: bool = False,
) -> dict[str, Any]:
    parent_id = _category(session, parent).id if parent else None
    row = session.execute(
        insert(Category)
        .values(name=name, parent_id=parent_id, sort_order=sort_order, requires_real_name=requires_real_name)
        .on_conflict_do_nothing()
        .returning(Category.id)
    ).first()
    if row is None:
        raise Conflict("a category with this name exists", {"name": name})
    audit.record(
        session,
        actor,
        "category.create",
        name,
        {"parent": parent, "sort_order": sort_order, "requires_real_name": requires_real_name},
    )
    return category_view(session, session.get_one(Category, row.id))


def update_category(session: Session, actor: str, name: str, fields: dict[str, Any]) -> dict[str, Any]:
    category = _category(session, name)
    if "parent" in fields:
        parent = _category(session, fields["parent"]) if fields["parent"] else None
        if parent is not None and _is_within(session, parent, category):
            raise InvalidInput("a category cannot be inside itself", {"fields": {"parent": ["cycle"]}})
        category.parent_id = parent.id if parent else None
    if (
        fields.get("name", name) != name
        and session.scalars(select(Category.id).where(Category.name == fields["name"])).first()
    ):
        raise Conflict("a category with this name exists", {"name": fields["name"]})
    if fields.get("archived") and not category.archived and _holds_active_products(session, category):
        raise Conflict(
            "the category (or one inside it) still holds products on sale: move or deactivate them first",
            {"name": name},
        )
    keys = ("name", "sort_order", "requires_real_name", "archived")
    before = {key: getattr(category, key) for key in keys if key in fields}
    for key in keys:
        if key in fields:
            setattr(category, key, fields[key])
    session.flush()
    audit.record(session, actor, "category.update", name, {**fields, "before": before})
    return category_view(session, category)


def list_categories(session: Session, archived: bool = False) -> list[dict[str, Any]]:
    """The categories in their order; archived ones only with `archived` (the console's list)."""
    query = select(Category).order_by(Category.sort_order, Category.name)
    return [category_view(session, c) for c in session.scalars(query) if archived or not c.archived]


def _holds_active_products(session: Session, category: Category) -> bool:
    ids, frontier = {category.id}, {category.id}
    while frontier:  # the category and every category inside it
        frontier = set(session.scalars(select(Category.id).where(Category.parent_id.in_(frontier)))) - ids
        ids |= frontier
    held = select(Product.sku).where(Product.category_id.in_(ids), Product.active.is_(True)).limit(1)
    return session.execute(held).first() is not None


def category_view(session: Session, category: Category) -> dict[str, Any]:
    parent = session.get(Category, category.parent_id) if category.parent_id else None
    return {
        "name": category.name,
        "parent": parent.name if parent else None,
        "sort_order": category.sort_order,
        "requires_real_name": category.requires_real_name,
        "archived": category.archived,
    }


def _category(session: Session, name: str) -> Category:
    category = session.scalars(select(Category).where(Category.name == name)).first()
    if category is None:
        raise NotFound("no such category", {"name": name})
    return category


def _is_within(session: Session, candidate: Category, ancestor: Category) -> bool:
    node: Category | None = candidate
    while node is not None:
        if node.id == ancestor.id:
            return True
        node = session.get(Category, node.parent_id) if node.parent_id else None
    return False


def stock_report(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Product, StockLevel).join(StockLevel, StockLevel.sku == Product.sku).order_by(Product.sku)
    ).all()
    return [
        {
            "sku": p.sku,
            "name": p.name,
            "active": p.active,
            "counted": s.counted,
            "available": s.available,
            "reserved": s.reserved,
            "sold": s.sold,
            "low_stock_threshold": p.low_stock_threshold,
            "low": s.counted and s.available < p.low_stock_threshold,
        }
        for p, s in rows
    ]


STOCK_AVAILABLE = Gauge("kameng_stock_available", "Units for sale now, per active SKU whose stock is counted", ["sku"])
STOCK_LOW_AT = Gauge("kameng_stock_low_threshold", "The merchant's low-stock threshold per active counted SKU", ["sku"])


def report_stock(session: Session) -> int:
    """Refresh the stock gauges (an SKU deactivated since the last report disappears)."""
    rows = session.execute(
        select(Product.sku, StockLevel.available, Product.low_stock_threshold)
        .join(StockLevel, StockLevel.sku == Product.sku)
        .where(Product.active.is_(True), StockLevel.counted.is_(True))
    ).all()
    STOCK_AVAILABLE.clear()
    STOCK_LOW_AT.clear()
    for sku, available, threshold in rows:
        STOCK_AVAILABLE.labels(sku).set(available)
        STOCK_LOW_AT.labels(sku).set(threshold)
    return len(rows)


def count_products(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Product)).scalar_one()

"""Catalog rules as plain functions on a Session."""
import base64
import binascii

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert

from services.catalog.models import Category, Product
from services.common import audit, outbox
from services.common.errors import Conflict, InvalidInput, NotFound


def _encode_cursor(sku):
    return base64.urlsafe_b64encode(sku.encode()).decode().rstrip("=")


def _decode_cursor(cursor):
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("invalid cursor", {"cursor": ["not a cursor from this API"]}) from None


def stock_of(product):
    """Codes neither reserved nor sold; None when unlimited. Card stock arrives with the code
    inventory; until then a card SKU has none."""
    return None if product.delivery != "card" else 0


def public(product, category_name):
    return {
        "sku": product.sku, "name": product.name, "category": category_name,
        "price": product.price, "currency": product.currency, "delivery": product.delivery,
        "stock": stock_of(product), "min_quantity": product.min_quantity,
        "max_quantity": product.max_quantity, "description": product.description,
    }


def list_products(session, category=None, q=None, limit=50, cursor=None):
    query = (select(Product, Category.name).join(Category, Product.category_id == Category.id)
             .where(Product.active.is_(True)).order_by(Product.sku).limit(limit + 1))
    if category:
        query = query.where(Category.name == category)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Product.name.ilike(pattern, escape="\\"),
                                Product.sku.ilike(pattern, escape="\\")))
    if cursor:
        query = query.where(Product.sku > _decode_cursor(cursor))
    rows = session.execute(query).all()
    items = [public(p, c) for p, c in rows[:limit]]
    next_cursor = _encode_cursor(rows[limit - 1][0].sku) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


def get_product(session, sku):
    row = session.execute(
        select(Product, Category.name).join(Category, Product.category_id == Category.id)
        .where(Product.sku == sku, Product.active.is_(True))).first()
    if row is None:
        raise NotFound("no such product", {"sku": sku})
    return public(*row)


def category_id(session, name):
    """The id of category `name`, created when new (concurrency-safe)."""
    session.execute(insert(Category).values(name=name).on_conflict_do_nothing())
    return session.execute(select(Category.id).where(Category.name == name)).scalar_one()


def count_products(session):
    return session.execute(select(func.count()).select_from(Product)).scalar_one()


def create_product(session, actor, fields):
    """Admin: a new product (its category created when new); 409 when the SKU exists."""
    values = {k: v for k, v in fields.items() if k != "category"}
    row = session.execute(
        insert(Product).values(category_id=category_id(session, fields["category"]), **values)
        .on_conflict_do_nothing().returning(Product.sku)).first()
    if row is None:
        raise Conflict("a product with this SKU exists", {"sku": fields["sku"]})
    product = get_product(session, fields["sku"])
    audit.record(session, actor, "product.create", fields["sku"], fields)
    outbox.add(session, "product_created", product)
    return product

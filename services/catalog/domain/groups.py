"""Product groups (issue 24): one product page holding several specs. Each spec is a SKU of its
own (stock, price, wholesale tiers, promotions, level prices): orders and the API keep going by
SKU; a group only gathers its SKUs under one name and page."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.models import Product, ProductGroup, StockLevel
from services.common import audit
from services.common.errors import InvalidInput, NotFound

MAX_ID = 2**63 - 1  # a bigint: an id above it names no group (and would not fit the query)


def _group(session: Session, group_id: int, lock: bool = False) -> ProductGroup:
    group = session.get(ProductGroup, group_id, with_for_update=lock) if 0 < group_id <= MAX_ID else None
    if group is None:
        raise NotFound("no such product group", {"group_id": group_id})
    return group


def group_view(group: ProductGroup, specs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"id": group.id, "name": group.name, "description": group.description}
    if specs is not None:
        view["specs"] = specs
    return view


def specs_of(session: Session, group_id: int, active_only: bool = True) -> list[dict[str, Any]]:
    """The group's specs in their order (sort_order, then SKU): what a product page offers."""
    query = (
        select(Product, StockLevel)
        .outerjoin(StockLevel, StockLevel.sku == Product.sku)
        .where(Product.group_id == group_id)
        .order_by(Product.sort_order, Product.sku)
    )
    if active_only:
        query = query.where(Product.active.is_(True))
    return [
        {
            "sku": p.sku,
            "spec_label": p.spec_label or p.name,
            "price": p.price,
            "currency": p.currency,
            "stock": s.available if s is not None and s.counted else None,
            **({} if active_only else {"active": p.active}),
        }
        for p, s in session.execute(query).all()
    ]


def existing_group(session: Session, group_id: int) -> ProductGroup:
    """The group a product is put in; a validation error (a field of the body) when none."""
    group = session.get(ProductGroup, group_id) if 0 < group_id <= MAX_ID else None
    if group is None:
        raise InvalidInput("no such product group", {"fields": {"group_id": ["no such product group"]}})
    return group


def create_group(session: Session, actor: str, fields: dict[str, Any]) -> dict[str, Any]:
    group = ProductGroup(**fields)
    session.add(group)
    session.flush()
    audit.record(session, actor, "product_group.create", str(group.id), fields)
    return group_view(group, [])


def update_group(session: Session, actor: str, group_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    group = _group(session, group_id, lock=True)
    before = {key: getattr(group, key) for key in fields}
    for key, value in fields.items():
        setattr(group, key, value)
    audit.record(session, actor, "product_group.update", str(group_id), {"before": before, "after": fields})
    return group_view(group, specs_of(session, group_id, active_only=False))


def get_group(session: Session, group_id: int) -> dict[str, Any]:
    group = _group(session, group_id)
    return group_view(group, specs_of(session, group_id, active_only=False))

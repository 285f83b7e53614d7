"""What each supplier sources (issue 17): a SKU's mapping to a supplier's product, its cost, the
order suppliers are tried in, and a spending cap per hour for auto-replenishment. One SKU may come
from several suppliers; three to five is the operator's aim, so the views say how many usable
sources each SKU has and flag a single one (`single_source`). The SKU's existence is the
catalog's to say: the service asks it before calling `put`."""

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit
from services.common.errors import NotFound
from services.supplier import registry
from services.supplier.models import Sourcing, Supplier

MOST_SKUS = 2000  # the overview's page: SKUs, each with all its sources


def put(session: Session, actor: str, supplier_id: int, sku: str, mapping: dict[str, Any]) -> dict[str, Any]:
    """Create or replace this supplier's mapping of the SKU."""
    supplier = registry.locked(session, supplier_id)
    values = {**mapping, "updated_at": registry.now()}
    session.execute(
        insert(Sourcing)
        .values(supplier_id=supplier_id, sku=sku, **values)
        .on_conflict_do_update(index_elements=[Sourcing.supplier_id, Sourcing.sku], set_=values)
    )
    audit.record(session, actor, "supplier.sourcing_set", str(supplier_id), {"sku": sku, **mapping})
    row = session.get(Sourcing, (supplier_id, sku), populate_existing=True)
    assert row is not None
    return view(supplier, row, registry.today())


def view(supplier: Supplier, row: Sourcing, on: date) -> dict[str, Any]:
    return {
        "supplier_id": supplier.id,
        "supplier": supplier.name,
        "sku": row.sku,
        "supplier_product_id": row.supplier_product_id,
        "cost_price": row.cost_price,
        "priority": row.priority,
        "enabled": bool(row.enabled),
        "hourly_cap": row.hourly_cap,
        # this source can be used now: the mapping is enabled and the supplier usable
        "usable": bool(row.enabled) and registry.refusal(supplier, on) is None,
        "updated_at": registry.timestamp(row.updated_at),
    }


def of_supplier(session: Session, supplier_id: int) -> list[dict[str, Any]]:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("no such supplier", {"id": supplier_id})
    on = registry.today()
    rows = session.scalars(select(Sourcing).where(Sourcing.supplier_id == supplier_id).order_by(Sourcing.sku))
    return [view(supplier, row, on) for row in rows]


def _joined(session: Session, skus: list[str] | None = None) -> list[tuple[Supplier, Sourcing]]:
    query = select(Supplier, Sourcing).join(Sourcing, Sourcing.supplier_id == Supplier.id)
    if skus is not None:
        query = query.where(Sourcing.sku.in_(skus))
    order = (Sourcing.sku, Sourcing.priority, Sourcing.cost_price, Supplier.id)
    return [(s, r) for s, r in session.execute(query.order_by(*order)).all()]


def _grouped(pairs: list[tuple[Supplier, Sourcing]], on: date) -> list[dict[str, Any]]:
    by_sku: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for supplier, row in pairs:
        by_sku[row.sku].append(view(supplier, row, on))
    return [
        {
            "sku": sku,
            "sources": sources,  # best first, as `registry.candidates` tries them
            "usable_sources": sum(s["usable"] for s in sources),
            "single_source": sum(s["usable"] for s in sources) == 1,
        }
        for sku, sources in by_sku.items()
    ]


def of_sku(session: Session, sku: str) -> dict[str, Any]:
    """A SKU's sources (none mapped: an empty list, no source usable)."""
    found = _grouped(_joined(session, [sku]), registry.today())
    return found[0] if found else {"sku": sku, "sources": [], "usable_sources": 0, "single_source": False}


def overview(session: Session) -> list[dict[str, Any]]:
    """Every mapped SKU with its sources, fewest usable sources first (what needs the operator)."""
    skus = list(session.scalars(select(Sourcing.sku).distinct().order_by(Sourcing.sku).limit(MOST_SKUS)))
    grouped = _grouped(_joined(session, skus), registry.today())
    return sorted(grouped, key=lambda g: (g["usable_sources"], g["sku"]))

"""Who may be used (issue 17, DESIGN §7 compliance): only an approved supplier whose
qualification is still valid can be enabled, and only an enabled one is pushed from, bought from
or asked to recharge."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.supplier.models import Sourcing, Supplier

NOT_APPROVED, DISABLED, EXPIRED = "not_approved", "disabled", "qualification_expired"


def refusal(supplier: Supplier, today: date) -> str | None:
    """Why this supplier may not be used today (None: it may)."""
    if supplier.status != "approved":
        return NOT_APPROVED
    if supplier.valid_until is None or supplier.valid_until < today:
        return EXPIRED
    if not supplier.enabled:
        return DISABLED
    return None


def sourcing(session: Session, supplier_id: int, sku: str) -> Sourcing | None:
    """This supplier's enabled mapping of the SKU (None: the SKU is not mapped to it)."""
    row = session.get(Sourcing, (supplier_id, sku))
    return row if row is not None and row.enabled else None


def candidates(session: Session, sku: str, today: date) -> list[tuple[Supplier, Sourcing]]:
    """The usable suppliers of a SKU, best first: by priority (lower first), then cost. The
    circuit breaker's view of health is applied by its caller (recharge, replenish)."""
    rows = session.execute(
        select(Supplier, Sourcing)
        .join(Sourcing, Sourcing.supplier_id == Supplier.id)
        .where(Sourcing.sku == sku, Sourcing.enabled, Supplier.enabled, Supplier.status == "approved")
        .where(Supplier.valid_until >= today)
        .order_by(Sourcing.priority, Sourcing.cost_price, Supplier.id)
    ).all()
    return [(supplier, source) for supplier, source in rows]

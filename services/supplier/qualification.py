"""Qualification expiry (issue 17): a supplier whose qualification has run out is disabled by
itself, audited, announced (`supplier_availability_changed`, usable false) and logged; the gauges
`kameng_supplier_qualification_expires_in_days` and `kameng_supplier_enabled` feed the alert on
qualifications about to run out. Run by the supplier service's timer in every replica: the
conditional UPDATE disables each supplier once (a second replica's UPDATE waits on the row lock,
then finds it disabled already and skips it)."""

import logging
from datetime import date

from prometheus_client import Gauge
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.common import audit, outbox
from services.supplier import registry
from services.supplier.models import Supplier

log = logging.getLogger(__name__)

ACTOR = "qualification-expiry"  # the audit rows' actor: the timer, not a person

EXPIRES_IN_DAYS = Gauge(
    "kameng_supplier_qualification_expires_in_days",
    "Days until an approved supplier's qualification runs out (negative: it has)",
    ["supplier"],
)
ENABLED = Gauge("kameng_supplier_enabled", "1 when the supplier is enabled, else 0", ["supplier"])


def expire(session: Session, on: date) -> list[int]:
    """Disable every enabled supplier whose qualification ended before `on`; the ids disabled."""
    rows = session.execute(
        update(Supplier)
        .where(Supplier.enabled.is_(True), Supplier.valid_until < on)
        .values(enabled=False, updated_at=registry.now())
        .returning(Supplier.id, Supplier.name, Supplier.valid_until)
        .execution_options(synchronize_session=False)
    ).all()
    for supplier_id, name, until in rows:
        log.warning("supplier %s (%s) disabled: its qualification ended on %s", supplier_id, name, until)
        audit.record(session, ACTOR, "supplier.qualification_expired", str(supplier_id), {"valid_until": str(until)})
        outbox.add(session, registry.AVAILABILITY_CHANGED, {"supplier_id": supplier_id, "usable": False})
    return [supplier_id for supplier_id, _, _ in rows]


def report(session: Session, on: date) -> None:
    """Refresh the gauges (a supplier gone from the registry disappears from them)."""
    rows = session.execute(select(Supplier.name, Supplier.enabled, Supplier.valid_until, Supplier.status)).all()
    EXPIRES_IN_DAYS.clear()
    ENABLED.clear()
    for name, enabled, until, status in rows:
        ENABLED.labels(name).set(1 if enabled else 0)
        if until is not None and status == "approved":
            EXPIRES_IN_DAYS.labels(name).set((until - on).days)

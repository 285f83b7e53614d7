"""Delivery: card codes are committed (reserved -> sold) by the catalog and the order goes
`paid` -> `completed`; a direct recharge is handed to a supplier and the order is `delivering`
until the supplier reports (DESIGN §3). The outcome is recorded once and announced.

Suppliers are their own issue: until they exist nobody can take a recharge, so it fails
(`no_supplier`) and the saga refunds it. They plug in at `start_recharge`."""

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.errors import Conflict, NotFound
from services.delivery.models import Delivery


class Outcome(NamedTuple):
    status: str  # DELIVERED, STARTED or FAILED
    reason: str | None = None  # why it failed


DELIVERED, STARTED, FAILED = "delivered", "delivering", "failed"
# what the order hears of each outcome
ANNOUNCED = {DELIVERED: "delivery_completed", STARTED: "delivery_started", FAILED: "delivery_failed"}


def fulfil(
    data: dict[str, Any],
    commit_codes: Callable[[str], object],
    hand_to_supplier: Callable[[dict[str, Any]], object] | None = None,
) -> Outcome:
    """Do the outside work (before any transaction); answers the `Outcome`."""
    if data["delivery"] != "card":
        return start_recharge(data, hand_to_supplier)
    try:
        commit_codes(data["order_no"])  # Unavailable propagates: the handler retries it
    except (Conflict, NotFound):
        return Outcome(FAILED, "reservation_missing")
    return Outcome(DELIVERED)


def start_recharge(data: dict[str, Any], hand_to_supplier: Callable[[dict[str, Any]], object] | None) -> Outcome:
    """The point where direct recharge meets the suppliers. `hand_to_supplier(data)` (the supplier
    service's RPC, idempotent per order_no, with failover across suppliers) returns once a supplier
    took the order; the delivery is then STARTED, `delivery_started` moves the order to
    `delivering`, and the supplier's result later ends it (completed, or failed and refunded).
    Without suppliers there is nobody to hand it to."""
    if hand_to_supplier is None:
        return Outcome(FAILED, "no_supplier")
    hand_to_supplier(data)
    return Outcome(STARTED)


def record(session: Session, envelope: dict[str, Any], outcome: Outcome) -> None:
    d = envelope["data"]
    row = session.execute(
        insert(Delivery)
        .values(
            order_no=d["order_no"], sku=d["sku"], quantity=d["quantity"], status=outcome.status, reason=outcome.reason
        )
        .on_conflict_do_nothing()
        .returning(Delivery.status)
    ).first()
    if row is None:
        return  # already recorded: said before
    data = {"order_no": d["order_no"]}
    if outcome.status == DELIVERED:
        data["quantity"] = d["quantity"]
    elif outcome.status == FAILED:
        data["reason"] = outcome.reason
    outbox.add(session, ANNOUNCED[outcome.status], data)

"""Delivery: card codes are committed (reserved -> sold; loop codes: given) by the catalog and the
order goes `paid` -> `completed`; a direct recharge is handed to a supplier and the order is `delivering`
until the supplier service reports its outcome (`recharge_succeeded` / `recharge_failed`, DESIGN
§3). Each outcome is recorded once and announced once: a started delivery becomes delivered or
failed exactly once, whichever of the hand-over and the supplier's outcome is recorded first."""

from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.errors import Conflict, NotFound
from services.delivery.models import Delivery


class Outcome(NamedTuple):
    status: str  # DELIVERED, STARTED or FAILED
    reason: str | None = None  # why it failed


DELIVERED, STARTED, FAILED = "delivered", "delivering", "failed"
CODES = ("card", "loop")  # goods delivered by the catalog's codes: sold once each, or loop codes given to all
# what the order hears of each outcome
ANNOUNCED = {DELIVERED: "delivery_completed", STARTED: "delivery_started", FAILED: "delivery_failed"}


def fulfil(
    data: dict[str, Any],
    commit_codes: Callable[[str], object],
    hand_to_supplier: Callable[[dict[str, Any]], Any] | None = None,
) -> Outcome:
    """Do the outside work (before any transaction); answers the `Outcome`."""
    if data["delivery"] not in CODES:
        return start_recharge(data, hand_to_supplier)
    try:
        commit_codes(data["order_no"])  # Unavailable propagates: the handler retries it
    except (Conflict, NotFound):
        return Outcome(FAILED, "reservation_missing")
    return Outcome(DELIVERED)


def start_recharge(data: dict[str, Any], hand_to_supplier: Callable[[dict[str, Any]], Any] | None) -> Outcome:
    """The point where direct recharge meets the suppliers. `hand_to_supplier(data)` (the supplier
    service's `start_recharge` RPC, idempotent per order_no) records the recharge and answers where
    it stands; the attempts (with failover across suppliers) run in the supplier service. The
    delivery is then STARTED, `delivery_started` moves the order to `delivering`, and the
    supplier's outcome later ends it (completed, or failed and refunded). A recharge the supplier
    service already ended (a repeated hand-over) is that outcome. Without suppliers there is nobody
    to hand it to."""
    if hand_to_supplier is None:
        return Outcome(FAILED, "no_supplier")
    answer = hand_to_supplier(data) or {}
    if answer.get("status") == "failed":
        return Outcome(FAILED, answer.get("reason") or "recharge_failed")
    if answer.get("status") == "succeeded":
        return Outcome(DELIVERED)
    return Outcome(STARTED)


# what the supplier service's outcome events mean here
RECHARGE_OUTCOMES = {"recharge_succeeded": DELIVERED, "recharge_failed": FAILED}


def record(session: Session, envelope: dict[str, Any], outcome: Outcome) -> None:
    """The outcome of a delivery request, recorded once (a redelivered request says nothing)."""
    d = envelope["data"]
    row = session.execute(
        insert(Delivery)
        .values(
            order_no=d["order_no"], sku=d["sku"], quantity=d["quantity"], status=outcome.status, reason=outcome.reason
        )
        .on_conflict_do_nothing()
        .returning(Delivery.status)
    ).first()
    if row is not None:
        _announce(session, d, outcome)


def record_recharge(session: Session, envelope: dict[str, Any]) -> None:
    """The supplier's outcome of a recharge: a started delivery becomes delivered or failed, once.
    It may come before the hand-over is recorded (the supplier answered at once): then it is the
    delivery's first record, and the hand-over's STARTED finds it there and says nothing."""
    d = envelope["data"]
    outcome = Outcome(RECHARGE_OUTCOMES[envelope["type"]], d.get("reason"))
    stmt = insert(Delivery).values(
        order_no=d["order_no"], sku=d["sku"], quantity=d["quantity"], status=outcome.status, reason=outcome.reason
    )
    row = session.execute(
        stmt.on_conflict_do_update(
            index_elements=[Delivery.order_no],
            set_={"status": stmt.excluded.status, "reason": stmt.excluded.reason, "at": func.now()},
            where=Delivery.status == STARTED,
        ).returning(Delivery.status)
    ).first()
    if row is not None:
        _announce(session, d, outcome)


def _announce(session: Session, d: dict[str, Any], outcome: Outcome) -> None:
    data = {"order_no": d["order_no"]}
    if outcome.status == DELIVERED:
        data["quantity"] = d["quantity"]
    elif outcome.status == FAILED:
        data["reason"] = outcome.reason
    outbox.add(session, ANNOUNCED[outcome.status], data)

"""Delivery: card codes are committed (reserved -> sold) by the catalog; the delivery is
recorded once and announced. Direct recharge needs suppliers (their own issue): until then such
a delivery fails, and the saga refunds it."""
from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.errors import Conflict, NotFound
from services.delivery.models import Delivery


def fulfil(data: dict[str, Any], commit_codes: Callable[[str], object]) -> str | None:
    """Do the outside work (before any transaction); answers the failure reason or None."""
    if data["delivery"] != "card":
        return "no_supplier"
    try:
        commit_codes(data["order_no"])          # Unavailable propagates: the handler retries it
    except (Conflict, NotFound):
        return "reservation_missing"
    return None


def record(session: Session, envelope: dict[str, Any], failure: str | None) -> None:
    d = envelope["data"]
    row = session.execute(insert(Delivery).values(
        order_no=d["order_no"], sku=d["sku"], quantity=d["quantity"],
        status="failed" if failure else "delivered", reason=failure)
        .on_conflict_do_nothing().returning(Delivery.status)).first()
    if row is None:
        return                                   # already recorded: said before
    if failure:
        outbox.add(session, "delivery_failed", {"order_no": d["order_no"], "reason": failure})
    else:
        outbox.add(session, "delivery_completed", {"order_no": d["order_no"], "quantity": d["quantity"]})

"""Orders of signed-in buyers (issue 18): an order placed while signed in carries the buyer's
id (`accept`); a guest order joins an account when its token is proved (`claim`). A buyer sees
their orders and codes with their session instead of the tokens."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common import outbox
from services.common.envelope import isoformat
from services.common.errors import Conflict
from services.order import domain, points, saga
from services.order.models import Order
from services.order.views import view

MAX_LISTED = 100


def orders_of(session: Session, buyer_id: int, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Order)
        .where(Order.buyer_id == buyer_id)
        .order_by(Order.created_at.desc())
        .limit(max(1, min(limit, MAX_LISTED)))
    )
    return [
        {**view(o), "created_at": isoformat(o.created_at), "codes_shown": o.codes_shown_at is not None} for o in rows
    ]


def with_codes(orders: list[dict[str, Any]], get_codes: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each order with its items (the catalog decrypts the codes of delivered orders only)."""
    return [
        domain.with_items(o, get_codes) if o["status"] in domain.CODES_VISIBLE else {**o, "items": []} for o in orders
    ]


def mark_shown(session: Session, orders: list[dict[str, Any]]) -> None:
    for order in orders:
        if order["items"] and not order["codes_shown"]:
            domain.mark_codes_shown(session, order)


def claim(
    session: Session, order_no: str, token: str, buyer_id: int, terms: dict[str, int] | None = None
) -> dict[str, Any]:
    """The order (proved by its token) is now this buyer's; again for the same buyer changes
    nothing; an order another buyer holds is 409. Locked as the saga locks it, so a completion
    either sees the buyer (its `order_completed` names them) or came first: then the claim
    says so (`order_claimed`, completed), and the buyer's total counts the order all the same.
    `terms`: the points settings (issue 22): a claimed order earns points as a member's does,
    at once if it completed already, else on completion."""
    domain.for_buyer(session, order_no, token)
    order = saga.lock(session, order_no)
    if order.buyer_id not in (None, buyer_id):
        raise Conflict("this order belongs to another account", {})
    if order.buyer_id is None:
        order.buyer_id = buyer_id
        if terms is not None:
            points.claimed(session, order, terms)
        saga.save(session, order)
        if order.status == "completed":
            outbox.add(session, "order_claimed", {**saga.request_data(order, "order_completed"), "completed": True})
    return {**view(order), "created_at": isoformat(order.created_at)}

"""Support's shortcut for a code the buyer says is invalid (issue 21): the order's delivery record
(masked, decrypted only on an audited reveal), and the replacement of a delivered code from stock.
A replaced code is retired -- who, when, why -- and never sold again; a fresh available code of the
SKU is sold to the same order in the same transaction, with its audit row. The order keeps exactly
its quantity of sold codes (the integrity check counts those), and `get_codes` shows the new one."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.catalog.domain import loop, stock
from services.catalog.models import Code, Product
from services.common import audit
from services.common.crypto import DataKeys
from services.common.envelope import isoformat
from services.common.errors import Conflict, NotFound, OutOfStock

DELIVERED = ("sold", "retired")
MASK = "•" * 8


def delivery_record(session: Session, keys: DataKeys, actor: str, order_no: str, reveal: bool) -> list[dict[str, Any]]:
    """The codes delivered to `order_no`, current and retired, oldest first; the codes themselves
    only with `reveal`, which is audited."""
    rows = session.scalars(
        select(Code).where(Code.order_no == order_no, Code.status.in_(DELIVERED)).order_by(Code.id)
    ).all()
    shared = loop.delivery_record(session, order_no)  # loop codes given to it (issue 24)
    if reveal and (rows or shared):
        audit.record(session, actor, "codes.reveal", order_no, {"ids": [c.id for c in [*shared, *rows]]})

    def shown(token: bytes | None) -> str | None:
        if token is None:
            return None
        return keys.decrypt(token) if reveal else MASK

    return [
        {
            "id": c.id,
            "sku": c.sku,
            "code": shown(c.code),
            "secret": shown(c.secret),
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            "status": c.status,
            "sold_at": isoformat(c.sold_at) if c.sold_at else None,
            "retired_at": isoformat(c.retired_at) if c.retired_at else None,
            "retired_by": c.retired_by,
            "retired_reason": c.retired_reason,
        }
        for c in rows
    ] + [
        {
            "id": c.id,
            "sku": c.sku,
            "code": shown(c.code),
            "secret": shown(c.secret),
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            "status": "loop",  # one code given to every order: never retired for one of them
            "sold_at": isoformat(c.delivered_at),
            "retired_at": None,
            "retired_by": None,
            "retired_reason": None,
        }
        for c in shared
    ]


def replace_code(session: Session, actor: str, order_no: str, code_id: int, reason: str) -> dict[str, Any]:
    """Retire the order's sold code `code_id` and sell it a fresh available code of the same SKU.
    NotFound: not a code of this order; Conflict: already retired; OutOfStock: none to give."""
    stock._serialise(session, order_no)  # the order's changes one at a time, as a reservation's
    old = session.scalars(
        select(Code).where(Code.id == code_id, Code.order_no == order_no, Code.status.in_(DELIVERED)).with_for_update()
    ).first()
    if old is None and any(c.id == code_id for c in loop.delivery_record(session, order_no)):
        raise Conflict("a loop code is given to every order: it cannot be replaced for one", {"code_id": code_id})
    if old is None:
        raise NotFound("no such code delivered to this order", {"order_no": order_no, "code_id": code_id})
    if old.status == "retired":
        raise Conflict("this code was replaced already", {"code_id": code_id})
    fresh = session.scalars(
        select(Code)
        .where(Code.sku == old.sku, Code.status == "available")
        .order_by(Code.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if fresh is None:
        raise OutOfStock("no code in stock to replace it with", {"sku": old.sku, "quantity": 1})
    old.status, old.retired_at, old.retired_by, old.retired_reason = "retired", func.now(), actor, reason
    fresh.status, fresh.order_no, fresh.sold_at = "sold", order_no, func.now()
    # one code left the stock; the order's sold count is unchanged (one retired, one sold)
    stock._move(session, session.get_one(Product, old.sku), available=-1)
    audit.record(
        session,
        actor,
        "codes.replaced",
        order_no,
        {"sku": old.sku, "retired": old.id, "replacement": fresh.id, "reason": reason},
    )
    session.flush()
    return {"order_no": order_no, "sku": old.sku, "retired": old.id, "replacement": fresh.id}

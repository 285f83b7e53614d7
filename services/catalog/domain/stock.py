"""Reservations: all-or-nothing, idempotent per order_no, never one code for two orders.

Card SKUs take codes with `SELECT … FOR UPDATE SKIP LOCKED`; counted non-card SKUs take stock
with a conditional `UPDATE … WHERE available >= n`; unlimited SKUs only record the reservation.
`stock_levels` moves in the same transaction. Every outcome is an outbox event."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from services.catalog.domain.products import active_product
from services.catalog.models import Code, Product, Reservation, StockLevel
from services.common import audit, outbox
from services.common.crypto import DataKeys
from services.common.errors import Conflict, InvalidInput, NotFound, OutOfStock

SWEEP_BATCH = 100


def _level(session, sku):
    return session.scalars(select(StockLevel).where(StockLevel.sku == sku).with_for_update()).one()


def _view(reservation, outcome):
    return {"order_no": reservation.order_no, "sku": reservation.sku, "quantity": reservation.quantity,
            "status": reservation.status, "outcome": outcome,
            "expires_at": reservation.expires_at.isoformat()}


def reserve(session, order_no, sku, quantity, ttl_s):
    """{"outcome": "reserved" | "out_of_stock", ...}; a repeat for a held or committed order
    answers as the first time did. A released reservation may be taken again (late payment)."""
    existing = session.get(Reservation, order_no, with_for_update=True)
    if existing is not None and existing.status != "released":
        if (existing.sku, existing.quantity) != (sku, quantity):
            raise Conflict("order already holds a different reservation", {"order_no": order_no})
        return _view(existing, "reserved")
    product = active_product(session, sku)
    if not product.min_quantity <= quantity <= product.max_quantity:
        raise InvalidInput("quantity outside this product's limits", {"quantity": quantity})
    if not _take(session, product, order_no, quantity):
        outbox.add(session, "stock_reservation_failed",
                   {"order_no": order_no, "sku": sku, "quantity": quantity, "reason": "out_of_stock"})
        return {"order_no": order_no, "sku": sku, "quantity": quantity, "status": None,
                "outcome": "out_of_stock"}
    expires_at = datetime.now(timezone.utc) + timedelta(seconds=ttl_s)
    if existing is None:
        existing = Reservation(order_no=order_no, sku=sku, quantity=quantity)
        session.add(existing)
    existing.status, existing.expires_at = "held", expires_at
    session.flush()
    outbox.add(session, "stock_reserved", {"order_no": order_no, "sku": sku, "quantity": quantity,
                                           "expires_at": expires_at.isoformat()})
    _check_low(session, product)
    return _view(existing, "reserved")


def _take(session, product, order_no, quantity):
    level = _level(session, product.sku)   # row lock: counters move one transaction at a time
    if product.delivery == "card":
        ids = session.scalars(
            select(Code.id).where(Code.sku == product.sku, Code.status == "available")
            .order_by(Code.id).limit(quantity).with_for_update(skip_locked=True)).all()
        if len(ids) < quantity:
            return False
        session.execute(update(Code).where(Code.id.in_(ids))
                        .values(status="reserved", order_no=order_no))
    elif level.counted and level.available < quantity:
        return False
    if level.counted:
        level.available -= quantity
    level.reserved += quantity
    return True


def raise_unless_reserved(result):
    if result["outcome"] != "reserved":
        raise OutOfStock("not enough stock", {"sku": result["sku"], "quantity": result["quantity"]})
    return result


def release(session, order_no, reason="released"):
    """Give a held reservation's stock back; a repeat (or an unknown order) changes nothing."""
    reservation = session.get(Reservation, order_no, with_for_update=True)
    if reservation is None or reservation.status != "held":
        return {"order_no": order_no, "released": False}
    level = _level(session, reservation.sku)
    session.execute(update(Code).where(Code.order_no == order_no, Code.status == "reserved")
                    .values(status="available", order_no=None))
    if level.counted:
        level.available += reservation.quantity
    level.reserved -= reservation.quantity
    reservation.status = "released"
    outbox.add(session, "stock_released", {"order_no": order_no, "sku": reservation.sku,
                                           "quantity": reservation.quantity, "reason": reason})
    _check_replenished(session, session.get(Product, reservation.sku), level)
    return {"order_no": order_no, "released": True}


def commit(session, order_no):
    """Reserved -> sold to this order (idempotent). Answers the ids of the order's codes."""
    reservation = session.get(Reservation, order_no, with_for_update=True)
    if reservation is None:
        raise NotFound("no reservation for this order", {"order_no": order_no})
    if reservation.status == "released":
        raise Conflict("the reservation was released", {"order_no": order_no})
    if reservation.status == "held":
        level = _level(session, reservation.sku)
        session.execute(update(Code).where(Code.order_no == order_no, Code.status == "reserved")
                        .values(status="sold", sold_at=func.now()))
        level.reserved -= reservation.quantity
        level.sold += reservation.quantity
        reservation.status = "committed"
        outbox.add(session, "stock_committed", {"order_no": order_no, "sku": reservation.sku,
                                                "quantity": reservation.quantity})
    return {"order_no": order_no, "sku": reservation.sku, "quantity": reservation.quantity,
            "status": reservation.status}


def codes_of(session, keys: DataKeys, order_no):
    """The decrypted codes sold to `order_no` (for showing to the buyer who owns them)."""
    rows = session.scalars(select(Code).where(Code.order_no == order_no, Code.status == "sold")
                           .order_by(Code.id)).all()
    return [{"code": keys.decrypt(c.code), "secret": keys.decrypt(c.secret) if c.secret else None,
             "expires_on": c.expires_on.isoformat() if c.expires_on else None} for c in rows]


def sweep_expired(session, now=None):
    """Release held reservations past their expiry; safe with several replicas (SKIP LOCKED)."""
    expired = session.scalars(
        select(Reservation.order_no).where(Reservation.status == "held",
                                           Reservation.expires_at < (now or func.now()))
        .order_by(Reservation.expires_at).limit(SWEEP_BATCH).with_for_update(skip_locked=True)).all()
    for order_no in expired:
        release(session, order_no, reason="expired")
    return len(expired)


def set_counted_stock(session, actor, sku, available):
    """Admin: limit a non-card SKU's stock to `available` (None: unlimited)."""
    product = active_product(session, sku)
    if product.delivery == "card":
        raise Conflict("card stock is the codes imported", {"sku": sku})
    level = _level(session, sku)
    level.counted, level.available = available is not None, available or 0
    audit.record(session, actor, "stock.set", sku, {"available": available})
    _check_replenished(session, product, level)
    _check_low(session, product)
    return {"sku": sku, "stock": available}


def added(session, product, quantity):
    """Stock came in (an import): counters, then stock_replenished."""
    level = _level(session, product.sku)
    level.available += quantity
    outbox.add(session, "stock_replenished", {"sku": product.sku, "added": quantity,
                                              "available": level.available})
    _check_replenished(session, product, level)


def _check_low(session, product):
    """stock_low once per crossing below the threshold, not once per order."""
    level = _level(session, product.sku)
    if level.counted and not level.low and level.available < product.low_stock_threshold:
        level.low = True
        outbox.add(session, "stock_low", {"sku": product.sku, "available": level.available,
                                          "threshold": product.low_stock_threshold})


def _check_replenished(session, product, level):
    if level.low and (not level.counted or level.available >= product.low_stock_threshold):
        level.low = False

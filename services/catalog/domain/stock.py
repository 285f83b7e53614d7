"""Reservations: all-or-nothing, idempotent per order_no, never one code for two orders.

Card SKUs take codes with `SELECT … FOR UPDATE SKIP LOCKED`; counted non-card SKUs take stock
with a conditional `UPDATE … WHERE available >= n`; unlimited SKUs only record the reservation.
Loop SKUs (services/catalog/domain/loop.py) are counted or unlimited goods that also need a code
to give: none of their codes changes; a commit records which ones the order was given.
`stock_levels` moves in the same transaction by one atomic UPDATE issued last, so concurrent
orders of one SKU queue on its row only for the commit. Every outcome is an outbox event.
`stock_low` is sent by the one transaction whose update takes `available` below the threshold:
once per crossing, not once per order."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import Session

from services.catalog.domain import coupons, loop, pricing
from services.catalog.domain.products import active_product
from services.catalog.models import Code, Product, Reservation, StockLevel
from services.common import audit, hints, outbox, sql
from services.common.crypto import DataKeys
from services.common.db import each
from services.common.envelope import isoformat
from services.common.errors import Conflict, CouponUnavailable, Forbidden, InvalidInput, NotFound, OutOfStock

SWEEP_BATCH = 100
S = StockLevel


CODES, PRODUCTS = sql.qualified(Code.__table__), sql.qualified(Product.__table__)
RESERVATIONS, STOCK_LEVELS = sql.qualified(Reservation.__table__), sql.qualified(StockLevel.__table__)
MOVE = f"""UPDATE {STOCK_LEVELS}
SET available = available + CASE WHEN counted THEN %(available)s ELSE 0 END,
    reserved = reserved + %(reserved)s, sold = sold + %(sold)s
WHERE sku = %(sku)s AND (%(only_if)s::bigint IS NULL OR NOT counted OR available >= %(only_if)s::bigint)
RETURNING available, counted"""


def _move(
    session: Session,
    product: Product | Row[Any],
    available: int = 0,
    reserved: int = 0,
    sold: int = 0,
    only_if_available: int | None = None,
) -> Row[Any] | None:
    """Add the deltas to the SKU's counters (available only when counted); None when
    `only_if_available` is more than what is available. Sends stock_low on a downward crossing."""
    row = sql.run(
        session,
        MOVE,
        {"sku": product.sku, "available": available, "reserved": reserved, "sold": sold, "only_if": only_if_available},
    ).first()
    if row is None:
        return None
    _moved(session, product, row, available)
    return row


def _moved(session: Session, product: Product | Row[Any], row: Row[Any], available: int) -> None:
    """After the SKU's counters moved by `available` (`row`: the counters now): stock_low on a
    downward crossing of the threshold, the sold-out hint when it ran out or came back."""
    threshold = product.low_stock_threshold
    if row.counted and available < 0 and row.available < threshold <= row.available - available:
        outbox.add(session, "stock_low", {"sku": product.sku, "available": row.available, "threshold": threshold})
    if row.counted and available and (row.available > 0) != (row.available - available > 0):
        sold_out_changed(session, product.sku, row.available <= 0)


def sold_out_changed(session: Session, sku: str, sold_out: bool) -> None:
    """Tell the gateways, once committed, that a SKU ran out or came back (a hint: they also ask
    `sold_out` every second, so a lost one costs at most that)."""
    hints.add(session, "sold_out_changed", {"sku": sku, "sold_out": sold_out})


SOLD_OUT = f"""SELECT s.sku FROM {STOCK_LEVELS} s JOIN {PRODUCTS} p ON p.sku = s.sku
WHERE p.active AND ((s.counted AND s.available <= 0) OR (p.delivery = 'loop' AND NOT EXISTS (
    SELECT 1 FROM {CODES} c WHERE c.sku = s.sku AND c.status = 'available')))"""


def sold_out(session: Session) -> list[str]:
    """The active SKUs nobody can buy one of now (the gateway answers them at the door)."""
    return [row.sku for row in sql.run(session, SOLD_OUT, {})]


# The reservation path, every order's, in plain SQL (services/common/sql.py). TAKE is the whole
# take in one statement, all or nothing: the codes (card goods: `n` of them locked with SKIP
# LOCKED, or none; loop goods: none, but one of theirs must exist to be given), the counters (only
# if the codes were there and, when counted, `available` covers `n`), and the reservation, each
# data-modifying part only if the counters moved.
TAKE = f"""
    WITH picked AS (
        SELECT id FROM {CODES} WHERE %(card)s AND sku = %(sku)s AND status = 'available'
        ORDER BY id LIMIT %(n)s FOR UPDATE SKIP LOCKED),
    enough AS (SELECT (NOT %(card)s OR count(*) = %(n)s) AND (NOT %(loop)s OR EXISTS (
        SELECT 1 FROM {CODES} WHERE sku = %(sku)s AND status = 'available')) AS ok FROM picked),
    moved AS (
        UPDATE {STOCK_LEVELS}
        SET available = available - CASE WHEN counted THEN %(n)s ELSE 0 END, reserved = reserved + %(n)s
        WHERE sku = %(sku)s AND (SELECT ok FROM enough) AND (NOT counted OR available >= %(n)s)
        RETURNING available, counted),
    taken AS (
        UPDATE {CODES} SET status = 'reserved', order_no = %(order_no)s
        WHERE id IN (SELECT id FROM picked) AND EXISTS (SELECT 1 FROM moved)),
    held AS (
        INSERT INTO {RESERVATIONS} (order_no, sku, quantity, status, expires_at)
        SELECT %(order_no)s, %(sku)s, %(n)s, 'held', now() + make_interval(secs => %(ttl)s)
        WHERE EXISTS (SELECT 1 FROM moved)
        ON CONFLICT (order_no) DO UPDATE SET status = 'held', expires_at = excluded.expires_at,
                                             updated_at = now()
        RETURNING expires_at)
    SELECT m.available, m.counted, (SELECT expires_at FROM held) AS expires_at
    FROM (SELECT 1) AS one LEFT JOIN moved AS m ON true"""
SERIALISE = "SELECT pg_advisory_xact_lock(hashtextextended(%(order_no)s, 0))"
TRY_SERIALISE = "SELECT pg_try_advisory_xact_lock(hashtextextended(%(order_no)s, 0))"
# a batch's orders in one statement, in the (sorted) array's order
SERIALISE_ALL = "SELECT pg_advisory_xact_lock(hashtextextended(o, 0)) FROM unnest(%(orders)s::text[]) AS o"
EXISTING = f"SELECT sku, quantity, status, expires_at FROM {RESERVATIONS} WHERE order_no = %(order_no)s FOR UPDATE"
PRODUCT = (
    f"SELECT sku, delivery, min_quantity, max_quantity, low_stock_threshold FROM {PRODUCTS} "
    "WHERE sku = %(sku)s AND active"
)


def reserve(
    session: Session,
    order_no: str,
    sku: str,
    quantity: int,
    ttl_s: float,
    serialised: bool = False,
    announce: bool = True,
    product: Row[Any] | None = None,
) -> dict[str, Any]:
    """{"outcome": "reserved" | "out_of_stock", ...}; a repeat for a held or committed order
    answers as the first time did. A released reservation may be taken again (late payment).
    The hot path of a flash sale: a handful of plain statements, the counters last. It raises
    (Conflict, NotFound, InvalidInput) only before it writes anything. `serialised`: the caller
    holds the order's lock already (a batch takes them all first). `announce`: the outcome is
    also an event (the saga's request by event); an RPC caller has the answer instead.
    `product`: the product's row when the caller read it already (`reserve_quoted`)."""
    if not serialised:
        _serialise(session, order_no)
    existing = sql.run(session, EXISTING, {"order_no": order_no}).first()
    if existing is not None and existing.status != "released":
        if (existing.sku, existing.quantity) != (sku, quantity):
            raise Conflict("order already holds a different reservation", {"order_no": order_no})
        if existing.status == "held" and announce:  # say it again: a re-sent request may mean it was missed
            outbox.add(
                session,
                "stock_reserved",
                {"order_no": order_no, "sku": sku, "quantity": quantity, "expires_at": isoformat(existing.expires_at)},
            )
        return _answer(order_no, sku, quantity, existing.status, existing.expires_at)
    product = product or sql.run(session, PRODUCT, {"sku": sku}).first()
    if product is None:
        raise NotFound("no such product", {"sku": sku})
    if not product.min_quantity <= quantity <= product.max_quantity:
        raise InvalidInput("quantity outside this product's limits", {"quantity": quantity})
    expires_at = _take(session, product, order_no, quantity, ttl_s)
    if expires_at is None:
        if announce:
            outbox.add(
                session,
                "stock_reservation_failed",
                {"order_no": order_no, "sku": sku, "quantity": quantity, "reason": "out_of_stock"},
            )
        return {"order_no": order_no, "sku": sku, "quantity": quantity, "status": None, "outcome": "out_of_stock"}
    if announce:
        outbox.add(
            session,
            "stock_reserved",
            {"order_no": order_no, "sku": sku, "quantity": quantity, "expires_at": isoformat(expires_at)},
        )
    return _answer(order_no, sku, quantity, "held", expires_at)


def reserve_quoted(
    session: Session,
    order_no: str,
    sku: str,
    quantity: int,
    ttl_s: float,
    level: str | None = None,
    real_name: bool = False,
    agent_level: str | None = None,
    coupon: str | None = None,
    buyer: str = "",
    currencies: list[str] | None = None,
) -> dict[str, Any]:
    """An order's creation asks once (DESIGN §3): the price lines and the reservation together,
    the price fixed by the same read of the product that the reservation takes stock from.
    Answers the quote with the reservation's `expires_at`; OutOfStock (nothing held) when the
    stock cannot meet it; NotFound, InvalidInput or Forbidden (a category that needs real-name
    verification, for a buyer without it: `real_name` false) before anything is written.
    `coupon`: its code, redeemed for `buyer` (`coupons.buyer_key`) in this transaction, before
    the stock is taken (the coupon's row first: the lock order `release` keeps too), and taken
    off the total; CouponUnavailable otherwise, and nothing is written. `currencies`: those the
    buyer's payment channel takes (None: any); a product priced otherwise is InvalidInput, its
    details naming the product's `currency`, before anything is written."""
    priced, product = pricing.quote_with_product(
        session, sku, quantity, level, agent_level=agent_level, serialise=order_no
    )
    if currencies is not None and product.currency not in currencies:
        raise InvalidInput(
            f"this payment channel does not take {product.currency}",
            {"fields": {"payment_channel": [f"takes {currencies}"]}, "currency": product.currency},
        )
    if product.requires_real_name and not real_name:
        raise Forbidden(
            "this category needs real-name verification: sign in and verify your real name first",
            {"reason": "real_name_required", "category": product.category},
        )
    if coupon is not None:
        if agent_level:  # an agent's price takes no coupon (DESIGN §3)
            raise CouponUnavailable("a coupon does not apply to an agent's price", {"reason": "agent_price"})
        order = coupons.Order(sku, product.category, priced["total"])
        priced = pricing.with_coupon(priced, coupons.redeem(session, order_no, coupon, buyer, order, datetime.now(UTC)))
    held = reserve(session, order_no, sku, quantity, ttl_s, serialised=True, announce=False, product=product)
    raise_unless_reserved(held)
    return {**priced, "order_no": order_no, "expires_at": held["expires_at"]}


def _serialise(session: Session, order_no: str) -> None:
    """One reservation change per order at a time, even before its row exists (a re-sent
    request may run beside the first): a transaction-scoped advisory lock on the order_no."""
    sql.run(session, SERIALISE, {"order_no": order_no})


def _take(session: Session, product: Row[Any], order_no: str, quantity: int, ttl_s: float) -> datetime | None:
    """Codes, counters and the reservation together or not at all, in one statement (TAKE): the
    reservation's expiry, or None when the stock cannot meet `quantity` (nothing written)."""
    params = {
        "card": product.delivery == "card",
        "loop": product.delivery == loop.LOOP,
        "sku": product.sku,
        "n": quantity,
        "order_no": order_no,
    }
    row = sql.run(session, TAKE, {**params, "ttl": ttl_s}).one()
    if row.expires_at is None:
        return None
    _moved(session, product, row, -quantity)
    expires_at: datetime = row.expires_at
    return expires_at


def _answer(order_no: str, sku: str, quantity: int, status: str, expires_at: datetime) -> dict[str, Any]:
    return {
        "order_no": order_no,
        "sku": sku,
        "quantity": quantity,
        "status": status,
        "outcome": "reserved",
        "expires_at": isoformat(expires_at),
    }


def raise_unless_reserved(result: dict[str, Any]) -> dict[str, Any]:
    if result["outcome"] != "reserved":
        raise OutOfStock("not enough stock", {"sku": result["sku"], "quantity": result["quantity"]})
    return result


def release(
    session: Session, order_no: str, reason: str = "released", requested_at: datetime | None = None
) -> dict[str, Any]:
    """Give a held reservation's stock back; a repeat (or an unknown order) changes nothing, and
    so does a request older than the reservation (a late payment re-reserved after it was sent)."""
    _serialise(session, order_no)
    reservation = session.get(Reservation, order_no, with_for_update=True, populate_existing=True)
    if (
        reservation is None
        or reservation.status != "held"
        or (requested_at is not None and reservation.updated_at > requested_at)
    ):
        return {"order_no": order_no, "released": False}
    coupons.release(session, order_no)  # before the stock: the coupon's row first, as reserve_quoted takes them
    session.execute(
        update(Code)
        .where(Code.order_no == order_no, Code.status == "reserved")
        .values(status="available", order_no=None)
    )
    reservation.status = "released"
    outbox.add(
        session,
        "stock_released",
        {"order_no": order_no, "sku": reservation.sku, "quantity": reservation.quantity, "reason": reason},
    )
    _move(
        session,
        session.get_one(Product, reservation.sku),
        available=reservation.quantity,
        reserved=-reservation.quantity,
    )
    return {"order_no": order_no, "released": True}


COMMITTING = f"""SELECT r.order_no, r.sku, r.quantity, r.status, p.low_stock_threshold, p.delivery
FROM {RESERVATIONS} r JOIN {PRODUCTS} p ON p.sku = r.sku
WHERE r.order_no = %(order_no)s FOR UPDATE OF r"""
SELL = f"""WITH sold AS (UPDATE {CODES} SET status = 'sold', sold_at = now()
                      WHERE order_no = %(order_no)s AND status = 'reserved')
UPDATE {RESERVATIONS} SET status = 'committed', updated_at = now() WHERE order_no = %(order_no)s"""


def commit(session: Session, order_no: str) -> dict[str, Any]:
    """Reserved -> sold to this order (idempotent). Every paid order's path: plain SQL. A loop
    order is given its SKU's codes instead (Conflict, nothing written, when there are none)."""
    _serialise(session, order_no)
    reservation = sql.run(session, COMMITTING, {"order_no": order_no}).first()
    if reservation is None:
        raise NotFound("no reservation for this order", {"order_no": order_no})
    if reservation.status == "released":
        raise Conflict("the reservation was released", {"order_no": order_no})
    status = reservation.status
    if status == "held":
        if reservation.delivery == loop.LOOP:
            loop.deliver(session, order_no, reservation.sku)
        sql.run(session, SELL, {"order_no": order_no})
        status = "committed"
        outbox.add(
            session, "stock_committed", {"order_no": order_no, "sku": reservation.sku, "quantity": reservation.quantity}
        )
        _move(session, reservation, reserved=-reservation.quantity, sold=reservation.quantity)
    return {"order_no": order_no, "sku": reservation.sku, "quantity": reservation.quantity, "status": status}


def commit_all(session: Session, numbers: Sequence[str]) -> dict[str, str]:
    """`commit` for several orders in one transaction (the order service's own delivery of the
    orders a batch of payments made `paid`): {order_no: "committed", or "missing" when the order
    has no reservation to commit (none, or released; nothing is written for it)}."""
    outcomes = {}
    for order_no in sorted(set(numbers)):  # the advisory locks always taken in one order
        try:
            outcomes[order_no] = commit(session, order_no)["status"]
        except (NotFound, Conflict):
            outcomes[order_no] = "missing"
    return outcomes


def codes_of(session: Session, keys: DataKeys, order_no: str) -> list[dict[str, Any]]:
    """The decrypted codes sold or given (loop codes) to `order_no` (for showing to the buyer
    who owns them)."""
    rows = session.scalars(select(Code).where(Code.order_no == order_no, Code.status == "sold").order_by(Code.id)).all()
    return loop.codes_of(session, keys, order_no) + [
        {
            "code": keys.decrypt(c.code),
            "secret": keys.decrypt(c.secret) if c.secret else None,
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
        }
        for c in rows
    ]


def sweep_expired(session: Session, now: datetime | None = None) -> int:
    """Release held reservations past their expiry; safe with several replicas (SKIP LOCKED). An
    order being changed right now (its lock held, e.g. a payment committing it at the last
    moment) is passed over until the next sweep: waiting for its lock while holding its row
    would deadlock with that change, which takes them the other way round."""
    expired = session.scalars(
        select(Reservation.order_no)
        .where(Reservation.status == "held", Reservation.expires_at < (now or func.now()))
        .order_by(Reservation.expires_at)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    released = [
        order_no
        for order_no in expired
        if sql.run(session, TRY_SERIALISE, {"order_no": order_no}).scalar()
        and release(session, order_no, reason="expired")["released"]
    ]
    return len(released)


def set_counted_stock(session: Session, actor: str, sku: str, available: int | None) -> dict[str, Any]:
    """Admin: limit a non-card SKU's stock to `available` (None: unlimited); a loop SKU's is the
    number of sales left (its cap), whatever its codes."""
    product = active_product(session, sku)
    if product.delivery == "card":
        raise Conflict("card stock is the codes imported", {"sku": sku})
    level = session.get_one(StockLevel, sku, with_for_update=True)
    level.counted, level.available = available is not None, available or 0
    no_code = product.delivery == loop.LOOP and not loop.has_codes(session, sku)
    sold_out_changed(session, sku, (level.counted and level.available <= 0) or no_code)
    audit.record(session, actor, "stock.set", sku, {"available": available})
    return {"sku": sku, "stock": available}


def added(session: Session, product: Product, quantity: int) -> None:
    """Stock came in (an import)."""
    row = _move(session, product, available=quantity)
    assert row is not None  # without only_if_available the SKU's counters always move
    outbox.add(session, "stock_replenished", {"sku": product.sku, "added": quantity, "available": row.available})


def on_reservation_requested(session: Session, envelope: dict[str, Any]) -> dict[str, Any] | None:
    """The saga's request, its order's lock held (`on_reservations_requested`). A request that
    cannot be met (unknown SKU, bad quantity) is a failed reservation for the order, not a poison
    message."""
    d = envelope["data"]
    try:  # reserve raises these before it writes: nothing to undo
        return reserve(session, d["order_no"], d["sku"], d["quantity"], d["ttl_s"], serialised=True)
    except (InvalidInput, NotFound, Conflict) as exc:
        outbox.add(
            session,
            "stock_reservation_failed",
            {"order_no": d["order_no"], "sku": d["sku"], "quantity": d["quantity"], "reason": exc.code},
        )
        return None


def on_reservations_requested(session: Session, envelopes: Sequence[dict[str, Any]]) -> None:
    """A batch of the saga's requests, SKU by SKU (so two batches take the SKUs' counter rows in
    the same order and cannot deadlock), in arrival order within a SKU. Every order's lock is
    taken first, in order_no order, as a single-order change takes it: before any counter row."""
    sql.run(session, SERIALISE_ALL, {"orders": sorted({str(e["data"].get("order_no")) for e in envelopes})})
    for env in each(session, sorted(envelopes, key=lambda e: str(e["data"].get("sku")))):
        on_reservation_requested(session, env)


def on_order_refunded(session: Session, envelope: dict[str, Any]) -> dict[str, Any]:
    """A refunded order gives its coupon back (a released reservation gave it back already), and
    a loop order its sale back to the SKU's cap (a single-sale order's codes, once committed, stay
    sold: they were shown). Its record of the codes it was given stays."""
    order_no = envelope["data"]["order_no"]
    _serialise(session, order_no)
    coupons.release(session, order_no)  # the order's lock, then the coupon's row: reserve_quoted's order
    row = sql.run(session, COMMITTING, {"order_no": order_no}).first()
    if row is None or row.status != "committed" or row.delivery != loop.LOOP:
        return {"order_no": order_no, "returned": False}
    sql.run(session, RETURNED, {"order_no": order_no})
    _move(session, row, available=row.quantity, sold=-row.quantity)
    released = {"order_no": order_no, "sku": row.sku, "quantity": row.quantity, "reason": "refunded"}
    outbox.add(session, "stock_released", released)
    return {"order_no": order_no, "returned": True}


RETURNED = f"UPDATE {RESERVATIONS} SET status = 'released', updated_at = now() WHERE order_no = %(order_no)s"


def on_release_requested(session: Session, envelope: dict[str, Any]) -> dict[str, Any]:
    requested_at = datetime.fromisoformat(envelope["occurred_at"].replace("Z", "+00:00"))
    return release(session, envelope["data"]["order_no"], requested_at=requested_at)


def supplied(session: Session, product: Product, change: int) -> int:
    """A supplier's counted level changed by `change` (a new report, or its levels starting or
    ceasing to count): the SKU's available moves by as much, never below zero (what was
    reserved meanwhile stays reserved). Answers the move made; an unlimited SKU does not move."""
    level = session.execute(
        select(StockLevel.available, StockLevel.counted).where(StockLevel.sku == product.sku).with_for_update()
    ).one()
    move = max(change, -level.available) if level.counted else 0
    if move:
        _move(session, product, available=move)
    return move

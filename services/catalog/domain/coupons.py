"""Coupons (issue 22): 满减 — a fixed amount off an order total of at least a threshold — or a
percentage off with a cap; for one SKU, one category or everything; within dates; with a total
limit (a single-use code: one) and a limit per buyer (a member id, else the contact e-mail).

A coupon applies to the order's total after unit pricing (DESIGN §3: the lowest of retail,
promotion, member price; then the coupon), never below zero, one per order, and never to an
agent's price. It is redeemed in the transaction that reserves the order's stock
(`stock.reserve_quoted`): no message of its own on the order's path. The coupon's row is locked
first, then its counters are read, so two orders racing for a single-use code queue on that row
and the second sees it used up (409 `coupon_unavailable`). Lock order, everywhere: the coupon's
row before the SKU's stock row (a release gives the coupon back before the stock).

It is given back (`release`) with the reservation (expiry, cancel, reject: `stock.release`) and
when the order is refunded (`order_refunded`)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.catalog.models import Coupon, CouponRedemption
from services.common import audit, sql
from services.common.envelope import isoformat
from services.common.errors import Conflict, CouponUnavailable, NotFound

COUPONS, REDEMPTIONS = sql.qualified(Coupon.__table__), sql.qualified(CouponRedemption.__table__)
LOCK = f"""SELECT id, code, kind, amount_off, percent_off, max_off, min_total, scope, scope_value,
       valid_from, valid_until, single_use, total_limit, per_buyer_limit, redeemed, active
FROM {COUPONS} WHERE code = %(code)s FOR UPDATE"""
# read after the row lock: a statement of its own, so it sees what the order before committed
BUYER_USED = f"""SELECT count(*) FROM {REDEMPTIONS}
WHERE coupon_id = %(id)s AND buyer = %(buyer)s AND status = 'redeemed'"""
REDEEM = f"""WITH r AS (
    INSERT INTO {REDEMPTIONS} (order_no, coupon_id, buyer, discount)
    VALUES (%(order_no)s, %(id)s, %(buyer)s, %(discount)s)
    ON CONFLICT (order_no) DO NOTHING RETURNING coupon_id)
UPDATE {COUPONS} SET redeemed = redeemed + 1 WHERE id IN (SELECT coupon_id FROM r)"""
RELEASE = f"""WITH r AS (
    UPDATE {REDEMPTIONS} SET status = 'released', released_at = now()
    WHERE order_no = %(order_no)s AND status = 'redeemed' RETURNING coupon_id)
UPDATE {COUPONS} SET redeemed = redeemed - 1 WHERE id IN (SELECT coupon_id FROM r) RETURNING id"""


@dataclass(frozen=True)
class Order:
    """What a coupon is checked against: the order's SKU, its category and its total after unit pricing."""

    sku: str
    category: str | None
    total: int


def normalise(code: str) -> str:
    return code.strip().upper()


def buyer_key(member_id: int | None, contact: str | None) -> str:
    """Whose use counts against a per-buyer limit: the member when signed in, else the e-mail."""
    if member_id is not None:
        return f"member:{member_id}"
    return f"email:{(contact or '').strip().lower()}"


def limit_of(coupon: Any) -> int | None:
    return 1 if coupon.single_use else coupon.total_limit


def discount(coupon: Any, total: int) -> int:
    """The amount off `total`: the fixed amount, or the percentage (rounded half up to the fen)
    capped at `max_off`; never more than the total."""
    if coupon.kind == "amount":
        off = int(coupon.amount_off)
    else:
        off = (total * int(coupon.percent_off) * 2 + 100) // 200
        if coupon.max_off is not None:
            off = min(off, int(coupon.max_off))
    return max(0, min(off, total))


def check(coupon: Any, order: Order, at: datetime, buyer_used: int = 0) -> int:
    """The discount `coupon` gives `order` at `at` (the buyer having `buyer_used` live uses of
    it), or CouponUnavailable with the reason. `coupon`: a Coupon or its row; None: unknown."""
    if coupon is None or not coupon.active:
        raise _unavailable(coupon, "unknown")
    if coupon.valid_from is not None and at < coupon.valid_from:
        raise _unavailable(coupon, "not_started")
    if coupon.valid_until is not None and at >= coupon.valid_until:
        raise _unavailable(coupon, "expired")
    if (coupon.scope == "sku" and coupon.scope_value != order.sku) or (
        coupon.scope == "category" and coupon.scope_value != order.category
    ):
        raise _unavailable(coupon, "not_applicable")
    if order.total < coupon.min_total:
        raise _unavailable(coupon, "below_threshold", {"min_total": coupon.min_total})
    limit = limit_of(coupon)
    if limit is not None and coupon.redeemed >= limit:
        raise _unavailable(coupon, "used_up")
    if coupon.per_buyer_limit is not None and buyer_used >= coupon.per_buyer_limit:
        raise _unavailable(coupon, "buyer_limit")
    return discount(coupon, order.total)


def _unavailable(coupon: Any, reason: str, extra: dict[str, Any] | None = None) -> CouponUnavailable:
    return CouponUnavailable("this coupon cannot be used for this order", {"reason": reason, **(extra or {})})


def redeem(session: Session, order_no: str, code: str, buyer: str, order: Order, at: datetime) -> dict[str, Any]:
    """Lock the coupon, check it against the order and count the use (the caller's transaction,
    before the stock is taken): {"code", "discount"} for the price lines; CouponUnavailable."""
    coupon = sql.run(session, LOCK, {"code": normalise(code)}).first()
    if coupon is None:
        raise _unavailable(None, "unknown")
    used = 0
    if coupon.per_buyer_limit is not None:
        used = sql.run(session, BUYER_USED, {"id": coupon.id, "buyer": buyer}).scalar_one()
    off = check(coupon, order, at, used)
    params = {"order_no": order_no, "id": coupon.id, "buyer": buyer, "discount": off}
    sql.run(session, REDEEM, params)
    return {"code": coupon.code, "coupon_id": coupon.id, "discount": off}


def release(session: Session, order_no: str) -> bool:
    """Give the order's coupon back (idempotent; a no-op for an order without one)."""
    return sql.run(session, RELEASE, {"order_no": order_no}).first() is not None


def on_order_refunded(session: Session, envelope: dict[str, Any]) -> None:
    release(session, envelope["data"]["order_no"])


# --- the console's coupons ---------------------------------------------------------------------


def create_coupon(session: Session, actor: str, fields: dict[str, Any]) -> dict[str, Any]:
    code = normalise(fields["code"])
    if session.scalar(select(Coupon.id).where(Coupon.code == code)) is not None:
        raise Conflict("a coupon with this code exists", {"code": code})
    coupon = Coupon(**{**fields, "code": code})
    session.add(coupon)
    session.flush()
    audit.record(session, actor, "coupon.create", code, {"id": coupon.id})
    return coupon_view(coupon)


def list_coupons(session: Session, active: bool | None = None, limit: int = 200) -> list[dict[str, Any]]:
    query = select(Coupon).order_by(Coupon.id.desc()).limit(limit)
    if active is not None:
        query = query.where(Coupon.active == active)
    return [coupon_view(c) for c in session.scalars(query)]


def get_coupon(session: Session, coupon_id: int) -> dict[str, Any]:
    coupon = session.get(Coupon, coupon_id)
    if coupon is None:
        raise NotFound("no such coupon", {"coupon_id": coupon_id})
    return coupon_view(coupon)


def deactivate_coupon(session: Session, actor: str, coupon_id: int) -> dict[str, Any]:
    """No new order may use it; the orders that did keep their discount."""
    coupon = session.get(Coupon, coupon_id, with_for_update=True)
    if coupon is None:
        raise NotFound("no such coupon", {"coupon_id": coupon_id})
    if coupon.active:
        coupon.active = False
        audit.record(session, actor, "coupon.deactivate", coupon.code, {"id": coupon_id})
    return coupon_view(coupon)


def coupon_view(c: Coupon) -> dict[str, Any]:
    return {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "amount_off": c.amount_off,
        "percent_off": c.percent_off,
        "max_off": c.max_off,
        "min_total": c.min_total,
        "scope": c.scope,
        "scope_value": c.scope_value,
        "valid_from": c.valid_from and isoformat(c.valid_from),
        "valid_until": c.valid_until and isoformat(c.valid_until),
        "single_use": c.single_use,
        "total_limit": c.total_limit,
        "per_buyer_limit": c.per_buyer_limit,
        "redeemed": c.redeemed,
        "active": c.active,
    }

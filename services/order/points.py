"""Members' points (issue 22), owned by the order service: an order spends them in its own
creation transaction, so paying with points costs no message beyond DESIGN §3's budget.

Rules (pure, unit-tested):
- earning: a member's completed order earns `POINTS_PER_YUAN` points per yuan paid (rounded down);
- spending: one point takes `POINTS_VALUE_FEN` fen off the order's total, after the catalog's
  quote (member price, promotion, coupon); at most `POINTS_MAX_PERCENT` percent of the total, and
  never all of it (at least 0.01 is paid through a channel: an order is never paid in points
  alone). Asking for more than the order takes uses what it takes; asking for more than one holds
  is refused (409 `insufficient_balance`) and nothing is held;
- expiry: points earned expire `POINTS_EXPIRE_DAYS` after they were earned.

The terms are fixed with the order (its price rule's `points`: used, value, earn rate, expiry), so
the saga's later steps need no settings. The ledger: `PointLot` rows hold what a member has, by
expiry (spending takes from the first to expire); `PointEntry` rows record every movement. The
saga (`follow`, called on every change of state) gives back what an order holds when it ends
without being paid for (rejected, expired, cancelled) or is refunded, earns on completion, and
takes the earned points back on a refund (from what is left: a balance never goes below zero; a
shortfall is recorded in the entry). Each arrival in a state happens once per order (the saga's
row lock and inbox), so each movement does too."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.common.envelope import isoformat
from services.common.errors import InsufficientBalance, InvalidInput
from services.order.models import PointEntry, PointLot

TERM_KEYS = ("per_yuan", "value_fen", "expire_days")
GIVE_BACK = frozenset({"rejected", "expired", "cancelled", "refunded"})
HOLD_KINDS = ("spend", "release")
EARN_KINDS = ("earn", "reverse")


# -- the pure rules ----------------------------------------------------------------------------


def terms(config: Mapping[str, Any]) -> dict[str, int]:
    """The points settings from a nameko config (KAMENG_POINTS_*), as whole numbers."""
    return {
        "per_yuan": max(0, int(config.get("POINTS_PER_YUAN", 1))),
        "value_fen": max(1, int(config.get("POINTS_VALUE_FEN", 1))),
        "max_percent": min(100, max(0, int(config.get("POINTS_MAX_PERCENT", 50)))),
        "expire_days": max(1, int(config.get("POINTS_EXPIRE_DAYS", 365))),
    }


def usable(requested: int, total: int, value_fen: int, max_percent: int) -> int:
    """How many of the `requested` points an order of `total` fen takes: at most `max_percent` of
    the total, never the whole total, whole points only; never below zero."""
    if requested <= 0 or total <= 1:
        return 0
    limit = min(total * max_percent // 100, total - 1)
    return max(0, min(requested, limit // value_fen))


def earned(paid: int, per_yuan: int) -> int:
    """Points a completed order paid `paid` fen earns."""
    return max(0, paid) * max(0, per_yuan) // 100


def apply(quote: dict[str, Any], requested: int, buyer_id: int | None, settings: dict[str, int]) -> dict[str, Any]:
    """The quote with the points taken off its total (points after the coupon, DESIGN §3), its
    rule recording them. Only a signed-in member earns or spends points."""
    if buyer_id is None:
        if requested:
            raise InvalidInput("sign in to use points", {"fields": {"points": ["only members have points"]}})
        return quote
    used = usable(requested, quote["total"], settings["value_fen"], settings["max_percent"])
    value = used * settings["value_fen"]
    recorded = {
        "used": used,
        "value": value,
        "before": quote["total"],
        "per_yuan": settings["per_yuan"],
        "value_fen": settings["value_fen"],
        "expire_days": settings["expire_days"],
    }
    return {**quote, "total": quote["total"] - value, "rule": {**quote["rule"], "points": recorded}, "points": used}


# -- the ledger ---------------------------------------------------------------------------------


def balance(session: Session, buyer_id: int) -> int:
    """Points a member holds now (lots not expired)."""
    held = session.scalar(
        select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
            PointLot.buyer_id == buyer_id, PointLot.remaining > 0, PointLot.expires_at > func.now()
        )
    )
    return int(held or 0)


def _take(session: Session, buyer_id: int, points: int, first_order: str | None = None) -> list[list[int]]:
    """Take up to `points` from the member's lots (row-locked, first to expire first; the lot an
    order earned first when `first_order` names it): [[lot id, taken], ...]."""
    if points <= 0:
        return []
    ours = PointLot.order_no == first_order if first_order else PointLot.id.is_(None)
    lots = session.scalars(
        select(PointLot)
        .where(PointLot.buyer_id == buyer_id, PointLot.remaining > 0, PointLot.expires_at > func.now())
        .order_by(ours.desc(), PointLot.expires_at, PointLot.id)
        .with_for_update()
    ).all()
    taken, left = [], points
    for lot in lots:
        if left == 0:
            break
        n = min(lot.remaining, left)
        lot.remaining -= n
        left -= n
        taken.append([lot.id, n])
    session.flush()
    return taken


def hold(session: Session, buyer_id: int, order_no: str, points: int) -> None:
    """An order being created spends `points` of its member's (in its creation transaction):
    InsufficientBalance when they hold fewer, and nothing is taken."""
    if points <= 0:
        return
    taken = _take(session, buyer_id, points)
    got = sum(n for _, n in taken)
    if got < points:
        raise InsufficientBalance("not that many points", {"points": got, "needed": points})
    session.add(PointEntry(buyer_id=buyer_id, order_no=order_no, kind="spend", points=-points, detail={"lots": taken}))
    session.flush()  # seen by a release in the same transaction (an order rejected at creation)


def check(session: Session, buyer_id: int | None, points: int) -> None:
    """Before risk is asked: a member asking for more points than they hold is refused at once
    (`hold` checks again under the lots' locks)."""
    if points > 0 and (buyer_id is None or balance(session, buyer_id) < points):
        raise InsufficientBalance("not that many points", {"needed": points})


def _net(session: Session, order_no: str, kinds: tuple[str, ...]) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                PointEntry.order_no == order_no, PointEntry.kind.in_(kinds)
            )
        )
        or 0
    )


def release(session: Session, buyer_id: int, order_no: str) -> int:
    """Give back what the order holds, as a lot that expires when the first lot taken did."""
    held = -_net(session, order_no, HOLD_KINDS)
    if held <= 0:
        return 0
    lot_ids = [
        lot_id
        for detail in session.scalars(
            select(PointEntry.detail).where(PointEntry.order_no == order_no, PointEntry.kind == "spend")
        )
        for lot_id, _ in (detail or {}).get("lots", [])
    ]
    expires = session.scalar(select(func.min(PointLot.expires_at)).where(PointLot.id.in_(lot_ids))) if lot_ids else None
    lot = PointLot(
        buyer_id=buyer_id, order_no=order_no, points=held, remaining=held, expires_at=expires or datetime.now(UTC)
    )
    session.add(lot)
    session.flush()
    session.add(
        PointEntry(buyer_id=buyer_id, order_no=order_no, kind="release", points=held, detail={"lots": [[lot.id, held]]})
    )
    return held


def earn(session: Session, buyer_id: int, order_no: str, points: int, expire_days: int) -> None:
    if points <= 0:
        return
    expires = datetime.now(UTC) + timedelta(days=expire_days)
    lot = PointLot(buyer_id=buyer_id, order_no=order_no, points=points, remaining=points, expires_at=expires)
    session.add(lot)
    session.flush()
    session.add(
        PointEntry(
            buyer_id=buyer_id, order_no=order_no, kind="earn", points=points, detail={"lots": [[lot.id, points]]}
        )
    )


def reverse(session: Session, buyer_id: int, order_no: str) -> int:
    """Take back what the order earned (its own lot first), as far as the member still holds
    points; what cannot be taken is recorded as `short`, never as a negative balance. Once per
    order. The entries of a member always sum to what their lots hold."""
    done = select(PointEntry.id).where(PointEntry.order_no == order_no, PointEntry.kind == "reverse")
    owed = _net(session, order_no, EARN_KINDS)
    if owed <= 0 or session.scalar(done.limit(1)) is not None:
        return 0
    taken = _take(session, buyer_id, owed, first_order=order_no)
    got = sum(n for _, n in taken)
    detail = {"lots": taken, "short": owed - got}
    session.add(PointEntry(buyer_id=buyer_id, order_no=order_no, kind="reverse", points=-got, detail=detail))
    return got


def rehold(session: Session, buyer_id: int, order_no: str, points: int) -> None:
    """A payment after expiry or cancel revives an order whose points went back: they are taken
    again, as far as the member still holds them (the rest is recorded as `short`)."""
    if points <= 0 or -_net(session, order_no, HOLD_KINDS) >= points:
        return
    taken = _take(session, buyer_id, points)
    got = sum(n for _, n in taken)
    detail = {"lots": taken, "short": points - got}
    session.add(PointEntry(buyer_id=buyer_id, order_no=order_no, kind="spend", points=-got, detail=detail))


def earned_value(order: Any) -> int:
    """What the points an order earned are worth, in fen (for member levels, if they count)."""
    recorded = (order.price_rule or {}).get("points") or {}
    return int(order.points_earned or 0) * int(recorded.get("value_fen", 1))


def follow(session: Session, order: Any, before: str | None, to: str) -> None:
    """The saga's hook, on an order arriving in state `to` from `before` (its row locked)."""
    recorded = (order.price_rule or {}).get("points")
    if not order.buyer_id or not recorded:
        return
    if to in GIVE_BACK and order.points_used:
        release(session, order.buyer_id, order.order_no)
    if to == "refunded":
        reverse(session, order.buyer_id, order.order_no)
    elif to == "paid" and before in ("expired", "cancelled"):
        rehold(session, order.buyer_id, order.order_no, int(order.points_used or 0))
    elif to == "completed":
        points = earned(order.amount, int(recorded.get("per_yuan", 0)))
        earn(session, order.buyer_id, order.order_no, points, int(recorded.get("expire_days", 365)))
        order.points_earned = points


def claimed(session: Session, order: Any, settings: dict[str, int]) -> None:
    """A guest's order a member claims (its row locked): its earning terms are recorded (a
    member's own order, not an agent's), and a completed one earns at once."""
    if order.agent_id or order.via_agent_id or (order.price_rule or {}).get("points"):
        return
    recorded = {"used": 0, "value": 0, "before": order.amount, **{k: settings[k] for k in TERM_KEYS}}
    order.price_rule = {**(order.price_rule or {}), "points": recorded}
    if order.status == "completed":
        follow(session, order, "completed", "completed")


def expire_due(session: Session, batch: int = 200) -> int:
    """The sweeper: lots past their expiry with points left lose them (an `expire` entry each),
    locked SKIP LOCKED so several replicas share the work."""
    lots = session.scalars(
        select(PointLot)
        .where(PointLot.remaining > 0, PointLot.expires_at <= func.now())
        .order_by(PointLot.expires_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for lot in lots:
        session.add(
            PointEntry(
                buyer_id=lot.buyer_id,
                order_no=None,
                kind="expire",
                points=-lot.remaining,
                detail={"lots": [[lot.id, lot.remaining]]},
            )
        )
    if lots:
        session.execute(update(PointLot).where(PointLot.id.in_([lot.id for lot in lots])).values(remaining=0))
    return len(lots)


def summary(session: Session, buyer_id: int, limit: int = 50) -> dict[str, Any]:
    """A member's points: the balance, the next expiry, and the latest movements."""
    next_expiry = session.execute(
        select(PointLot.expires_at, func.sum(PointLot.remaining))
        .where(PointLot.buyer_id == buyer_id, PointLot.remaining > 0, PointLot.expires_at > func.now())
        .group_by(PointLot.expires_at)
        .order_by(PointLot.expires_at)
        .limit(1)
    ).first()
    entries = session.scalars(
        select(PointEntry).where(PointEntry.buyer_id == buyer_id).order_by(PointEntry.id.desc()).limit(limit)
    )
    return {
        "buyer_id": buyer_id,
        "balance": balance(session, buyer_id),
        "next_expiry": {"at": isoformat(next_expiry[0]), "points": int(next_expiry[1])} if next_expiry else None,
        "entries": [
            {"kind": e.kind, "points": e.points, "order_no": e.order_no, "at": isoformat(e.at)} for e in entries
        ],
    }

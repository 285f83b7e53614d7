"""Prices: the base price, a price per member/agent level, wholesale tiers and timed promotions.
The buyer gets the lowest unit price among the rules that apply at that moment and for that
quantity (DESIGN §3), and the quote says which rule. An agent's order has its own rule
(`agent_price`): no member price, promotion nor wholesale tier applies to it."""

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.domain import windows
from services.catalog.domain.products import active_product, agent_price_level, wholesale_tiers
from services.catalog.models import Category, LevelPrice, Product, Promotion, StockLevel, WholesaleTier
from services.common import audit, sql
from services.common.envelope import isoformat
from services.common.errors import InvalidInput, NotFound


def discounted(base: int, percent_off: int) -> int:
    """Round half up to the fen: 1990 at 15% off -> 1692 (16.915 -> 16.92)."""
    return (base * (100 - percent_off) * 2 + 100) // 200


def promotion_applies(promo: Promotion, at: datetime) -> bool:
    """Active and inside one of its weekly windows (`windows.current`: the one rule of "now")."""
    return promo.active and windows.current(promo, at) is not None


Tier = tuple[int, int]  # (min_quantity, unit price): from that many units on, each costs the price


def tier_for(tiers: Iterable[Sequence[int]] | None, quantity: int) -> Tier | None:
    """The wholesale tier that `quantity` reaches: the one with the highest min_quantity at or
    below it (tiers are kept cheaper as they rise, `check_tiers`), or None below the first."""
    reached = [(int(t[0]), int(t[1])) for t in tiers or () if t[0] <= quantity]
    return max(reached) if reached else None


def best_price(
    base: int,
    level_price: LevelPrice | None,
    promotions: Iterable[Promotion],
    at: datetime,
    tier: Tier | None = None,
) -> tuple[int, dict[str, Any]]:
    """(unit price, rule) — the lowest of the applicable rules (DESIGN §3: retail, the wholesale
    tier for the quantity, the member level's price, an active promotion). A tie keeps the
    rule named first in that order: the simpler rule, and one every buyer gets before one for
    some buyers."""
    best: tuple[int, dict[str, Any]] = (base, {"kind": "base"})
    if tier is not None and tier[1] < best[0]:
        best = (tier[1], {"kind": "wholesale", "min_quantity": tier[0]})
    if level_price is not None and level_price.price < best[0]:
        best = (level_price.price, {"kind": "level", "level": level_price.level})
    for promo in promotions:
        if promotion_applies(promo, at):
            # a promotion has a price or a percent_off, never both nor neither (constraint one_discount)
            price = promo.price if promo.price is not None else discounted(base, cast(int, promo.percent_off))
            if price < best[0]:
                best = (price, {"kind": "promotion", "promotion_id": promo.id, "name": promo.name})
    return best


QUOTED = f"""SELECT p.sku, p.price, p.currency, p.delivery, p.min_quantity, p.max_quantity, p.low_stock_threshold,
       c.name AS category, COALESCE(c.requires_real_name, false) AS requires_real_name,
       s.available, s.counted,
       EXISTS (SELECT 1 FROM {sql.qualified(Promotion.__table__)} pr WHERE pr.sku = p.sku AND pr.active) AS promoted,
       (SELECT json_agg(json_build_array(w.min_quantity, w.price))
        FROM {sql.qualified(WholesaleTier.__table__)} w WHERE w.sku = p.sku) AS tiers
FROM {sql.qualified(Product.__table__)} p
LEFT JOIN {sql.qualified(Category.__table__)} c ON c.id = p.category_id
LEFT JOIN {sql.qualified(StockLevel.__table__)} s ON s.sku = p.sku
WHERE p.sku = %(sku)s AND p.active"""
# the same read, for a reservation: the order's advisory lock (stock._serialise) taken in it
QUOTED_SERIALISED = QUOTED.replace(
    "SELECT p.sku,", "SELECT pg_advisory_xact_lock(hashtextextended(%(order_no)s, 0)) AS serialised, p.sku,", 1
)


def agent_price(base: int, level_price: LevelPrice | None) -> tuple[int, dict[str, Any]]:
    """An agent level's buying price (DESIGN §3): its level price when it has one, else retail;
    never a promotion (nor a member price, coupon or wholesale tier: the agent's buying price is
    the whole rule), and the level price even above retail."""
    if level_price is None:
        return base, {"kind": "base"}
    return level_price.price, {"kind": "agent_level", "level": level_price.level}


def quote(
    session: Session,
    sku: str,
    quantity: int,
    level: str | None = None,
    at: datetime | None = None,
    agent_level: str | None = None,
) -> dict[str, Any]:
    """The price lines of `quantity` of `sku` (for a member `level` or an `agent_level`, at a time)."""
    return quote_with_product(session, sku, quantity, level, at, agent_level)[0]


def quote_with_product(
    session: Session,
    sku: str,
    quantity: int,
    level: str | None = None,
    at: datetime | None = None,
    agent_level: str | None = None,
    serialise: str | None = None,
) -> tuple[dict[str, Any], Row[Any]]:
    """(quote, the product's row). On every order's path, in plain SQL (services/common/sql.py):
    the product, its category, its stock, its wholesale tiers and whether it has active promotions
    in one statement;
    the promotions (and a level's price) only when there are. `agent_level`: an agent's order,
    priced at that agent level's price (`agent_price`), whatever the member `level`. `serialise`:
    an order_no whose reservation lock the same statement takes (`stock.reserve_quoted`)."""
    if serialise is None:
        product = sql.run(session, QUOTED, {"sku": sku}).first()
    else:
        product = sql.run(session, QUOTED_SERIALISED, {"sku": sku, "order_no": serialise}).first()
    if product is None:
        raise NotFound("no such product", {"sku": sku})
    if not product.min_quantity <= quantity <= product.max_quantity:
        raise InvalidInput(
            "quantity outside this product's limits",
            {"quantity": quantity, "min_quantity": product.min_quantity, "max_quantity": product.max_quantity},
        )
    at = at or datetime.now(UTC)
    if agent_level:
        unit, rule = agent_price(product.price, session.get(LevelPrice, (sku, agent_price_level(agent_level))))
    else:
        level_price = session.get(LevelPrice, (sku, level)) if level else None
        promotions = (
            session.scalars(select(Promotion).where(Promotion.sku == sku, Promotion.active)).all()
            if product.promoted
            else ()
        )
        unit, rule = best_price(product.price, level_price, promotions, at, tier_for(product.tiers, quantity))
    return {
        "sku": sku,
        "quantity": quantity,
        "unit_price": unit,
        "total": unit * quantity,
        "currency": product.currency,
        "rule": rule,
        "delivery": product.delivery,
        "category": product.category,  # risk rules go by category
        "stock": product.available if product.counted else None,
    }, product


def with_coupon(quote: dict[str, Any], coupon: dict[str, Any]) -> dict[str, Any]:
    """The quote with a coupon's discount (`coupons.redeem`: {"code", "coupon_id", "discount"})
    taken off its total, after unit pricing (DESIGN §3), never below zero; the rule and the
    lines say which coupon and how much, for the order and the console."""
    off = min(int(coupon["discount"]), quote["total"])
    rule = {**quote["rule"], "coupon": {"code": coupon["code"], "coupon_id": coupon["coupon_id"], "discount": off}}
    return {**quote, "subtotal": quote["total"], "discount": off, "total": quote["total"] - off, "rule": rule}


def set_level_price(session: Session, actor: str, sku: str, level: str, price: int | None) -> dict[str, Any]:
    active_product(session, sku)
    before = session.scalar(select(LevelPrice.price).where(LevelPrice.sku == sku, LevelPrice.level == level))
    if price is None:
        session.execute(delete(LevelPrice).where(LevelPrice.sku == sku, LevelPrice.level == level))
    else:
        session.execute(
            insert(LevelPrice)
            .values(sku=sku, level=level, price=price)
            .on_conflict_do_update(index_elements=["sku", "level"], set_={"price": price})
        )
    data = {"level": level, "price": price, "before": {"price": before}, "after": {"price": price}}
    audit.record(session, actor, "level_price.set", sku, data)
    return {"sku": sku, "level": level, "price": price}


def check_tiers(tiers: Sequence[Mapping[str, int]]) -> list[Tier]:
    """The tiers sorted by min_quantity; InvalidInput unless the min quantities are distinct and
    each higher tier is cheaper than the one below it (so the tier a quantity reaches is also
    the cheapest it may have: one meaning of "the tier for the quantity")."""
    ordered = sorted((t["min_quantity"], t["price"]) for t in tiers)
    for (low, low_price), (high, high_price) in itertools.pairwise(ordered):
        if low == high:
            raise InvalidInput("two tiers with one min_quantity", {"fields": {"tiers": [f"min_quantity {low} twice"]}})
        if high_price >= low_price:
            raise InvalidInput(
                "a higher tier must be cheaper", {"fields": {"tiers": [f"{high} units must cost less than {low}"]}}
            )
    return ordered


def set_wholesale_tiers(session: Session, actor: str, sku: str, tiers: Sequence[Mapping[str, int]]) -> dict[str, Any]:
    """Admin: the SKU's wholesale tiers replaced by `tiers` (an empty list: none), audited."""
    ordered = check_tiers(tiers)
    active_product(session, sku, lock=True)  # one change of a SKU's tiers at a time
    before = wholesale_tiers(session, sku)
    session.execute(delete(WholesaleTier).where(WholesaleTier.sku == sku))
    if ordered:
        session.execute(insert(WholesaleTier).values([{"sku": sku, "min_quantity": m, "price": p} for m, p in ordered]))
    after = [{"min_quantity": m, "price": p} for m, p in ordered]
    audit.record(session, actor, "wholesale_tiers.set", sku, {"before": before, "after": after})
    return {"sku": sku, "tiers": after}


def create_promotion(session: Session, actor: str, sku: str, fields: dict[str, Any]) -> dict[str, Any]:
    active_product(session, sku)
    try:
        ZoneInfo(fields["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("unknown time zone", {"fields": {"timezone": ["unknown"]}}) from None
    promo = Promotion(sku=sku, **fields)
    session.add(promo)
    session.flush()
    audit.record(session, actor, "promotion.create", sku, {"id": promo.id, **_plain(fields)})
    return promotion_view(promo)


def delete_promotion(session: Session, actor: str, promotion_id: int) -> dict[str, Any]:
    promo = session.get(Promotion, promotion_id, with_for_update=True)
    if promo is None or not promo.active:
        raise NotFound("no such promotion", {"promotion_id": promotion_id})
    promo.active = False
    audit.record(session, actor, "promotion.deactivate", promo.sku, {"id": promotion_id})
    return promotion_view(promo)


def promotion_view(promo: Promotion) -> dict[str, Any]:
    return {
        "id": promo.id,
        "sku": promo.sku,
        "name": promo.name,
        "percent_off": promo.percent_off,
        "price": promo.price,
        "weekdays": list(promo.weekdays),
        "starts": promo.starts.strftime("%H:%M"),
        "ends": promo.ends.strftime("%H:%M"),
        "timezone": promo.timezone,
        "valid_from": promo.valid_from and isoformat(promo.valid_from),
        "valid_until": promo.valid_until and isoformat(promo.valid_until),
        "active": promo.active,
    }


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in fields.items()}

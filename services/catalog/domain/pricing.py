"""Prices: the base price, a price per member/agent level, and timed promotions. The buyer gets
the lowest price among the rules that apply at that moment, and the quote says which rule."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Row, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.catalog.domain import windows
from services.catalog.domain.products import active_product, agent_price_level
from services.catalog.models import Category, LevelPrice, Product, Promotion, StockLevel
from services.common import audit, sql
from services.common.envelope import isoformat
from services.common.errors import InvalidInput, NotFound


def discounted(base: int, percent_off: int) -> int:
    """Round half up to the fen: 1990 at 15% off -> 1692 (16.915 -> 16.92)."""
    return (base * (100 - percent_off) * 2 + 100) // 200


def promotion_applies(promo: Promotion, at: datetime) -> bool:
    """Active and inside one of its weekly windows (`windows.current`: the one rule of "now")."""
    return promo.active and windows.current(promo, at) is not None


def best_price(
    base: int, level_price: LevelPrice | None, promotions: Iterable[Promotion], at: datetime
) -> tuple[int, dict[str, Any]]:
    """(unit price, rule) — the lowest of the applicable rules; ties keep the simpler rule."""
    best: tuple[int, dict[str, Any]] = (base, {"kind": "base"})
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
       EXISTS (SELECT 1 FROM {sql.qualified(Promotion.__table__)} pr WHERE pr.sku = p.sku AND pr.active) AS promoted
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
    never a promotion (nor a member price or coupon), and the level price even above retail."""
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
    the product, its category, its stock and whether it has active promotions in one statement;
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
        unit, rule = best_price(product.price, level_price, promotions, at)
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

"""Loop codes (循环卡密, issue 24): a product with delivery `loop` sells the same code(s) to every
order -- a shared course or tutorial key. Its codes are imported and encrypted like any others but
stay `available`: no order reserves or buys one. What limits sales is the SKU's counter in
`stock_levels` (unlimited, or a cap the admin sets, counted in `available` like counted goods).
An order committed gets every available code of the SKU, each recorded once in
`loop_deliveries` (so it is delivered once per order, and what it was given stays known). The
delivery mode is fixed when the product is made: single-sale and loop codes never share a product,
so "a single-sale code is sold at most once" still holds, and the integrity check tells them apart."""

from typing import Any

from sqlalchemy.orm import Session

from services.catalog.models import Code, LoopDelivery, Product
from services.common import sql
from services.common.crypto import DataKeys
from services.common.errors import Conflict

LOOP = "loop"
CODES, LOOP_DELIVERIES = sql.qualified(Code.__table__), sql.qualified(LoopDelivery.__table__)
PRODUCTS = sql.qualified(Product.__table__)

DELIVER = f"""WITH given AS (
    INSERT INTO {LOOP_DELIVERIES} (order_no, code_id, sku)
    SELECT %(order_no)s, id, sku FROM {CODES} WHERE sku = %(sku)s AND status = 'available' ORDER BY id
    ON CONFLICT (order_no, code_id) DO NOTHING RETURNING 1)
SELECT count(*) FROM given"""


def deliver(session: Session, order_no: str, sku: str) -> int:
    """Give the order every loop code of its SKU (a repeat gives nothing more): the count given.
    Conflict, before anything is written, when the SKU has no code to give."""
    given: int = sql.run(session, DELIVER, {"order_no": order_no, "sku": sku}).scalar_one()
    if not given and not _delivered(session, order_no):
        raise Conflict("this loop product has no code to deliver", {"order_no": order_no, "sku": sku})
    return given


def _delivered(session: Session, order_no: str) -> bool:
    return bool(
        sql.run(session, f"SELECT 1 FROM {LOOP_DELIVERIES} WHERE order_no = %(o)s LIMIT 1", {"o": order_no}).first()
    )


CODES_OF = f"""SELECT c.code, c.secret, c.expires_on FROM {LOOP_DELIVERIES} d JOIN {CODES} c ON c.id = d.code_id
WHERE d.order_no = %(order_no)s ORDER BY c.id"""


def codes_of(session: Session, keys: DataKeys, order_no: str) -> list[dict[str, Any]]:
    """The decrypted loop codes given to `order_no` (none for an order of single-sale codes)."""
    return [
        {
            "code": keys.decrypt(c.code),
            "secret": keys.decrypt(c.secret) if c.secret else None,
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
        }
        for c in sql.run(session, CODES_OF, {"order_no": order_no})
    ]


DELIVERY_RECORD = f"""SELECT c.id, c.sku, c.code, c.secret, c.expires_on, d.delivered_at
FROM {LOOP_DELIVERIES} d JOIN {CODES} c ON c.id = d.code_id WHERE d.order_no = %(order_no)s ORDER BY c.id"""


def delivery_record(session: Session, order_no: str) -> list[Any]:
    """The loop codes given to `order_no` with when (support's delivery record)."""
    return list(sql.run(session, DELIVERY_RECORD, {"order_no": order_no}))


HAS_CODES = f"SELECT EXISTS (SELECT 1 FROM {CODES} WHERE sku = %(sku)s AND status = 'available')"


def has_codes(session: Session, sku: str) -> bool:
    return bool(sql.run(session, HAS_CODES, {"sku": sku}).scalar_one())


# for the integrity check: per order, the loop codes it was given; and any code given through the
# loop path although its product sells each code once (that code would be sold twice)
LOOP_GIVEN = f"""SELECT d.order_no, count(*) FROM {LOOP_DELIVERIES} d
WHERE d.delivered_at > now() - make_interval(secs => %(secs)s) GROUP BY d.order_no"""
NOT_LOOP = f"""SELECT d.code_id, c.sku, c.order_no, d.order_no AS given_to FROM {LOOP_DELIVERIES} d
JOIN {CODES} c ON c.id = d.code_id JOIN {PRODUCTS} p ON p.sku = c.sku
WHERE p.delivery <> 'loop' OR d.sku <> c.sku ORDER BY d.code_id, d.order_no"""


def integrity_facts(session: Session, days: float) -> dict[str, Any]:
    given = {row[0]: row[1] for row in sql.run(session, LOOP_GIVEN, {"secs": days * 86400})}
    strays = [
        {"code_id": r.code_id, "sku": r.sku, "sold_to": r.order_no, "given_to": r.given_to}
        for r in sql.run(session, NOT_LOOP, {})
    ]
    return {"loop_given": given, "single_sale_given_by_loop": strays}

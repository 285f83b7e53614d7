"""Points follow the order through the saga (services/order/saga.py → points.follow), on real
PostgreSQL: given back when the window expires, taken again by a late payment, earned on
completion, and for a refund the spent ones back and the earned ones taken."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.common.db import make_engine, transaction
from services.order import points, saga
from services.order.models import Order, PointEntry, PointLot, metadata
from tests.integration.order.helpers import stored_order

TERMS = {"used": 10, "value": 10, "before": 1000, "per_yuan": 2, "value_fen": 1, "expire_days": 30}


def test_points_move_with_the_order(database_url):
    engine = make_engine(database_url)
    buyer = 880_000 + datetime.now(UTC).microsecond
    with transaction(engine, metadata) as s:
        s.add(PointLot(buyer_id=buyer, points=10, remaining=10, expires_at=datetime.now(UTC) + timedelta(days=9)))
    order_no = stored_order(
        engine,
        "awaiting_payment",
        amount=990,
        buyer_id=buyer,
        points_used=10,
        price_rule={"kind": "base", "points": TERMS},
        expires_at=datetime.now(UTC) + timedelta(minutes=15),
    )
    with transaction(engine, metadata) as s:
        points.hold(s, buyer, order_no, 10)

    def step(event, **data):
        with transaction(engine, metadata) as s:
            saga.apply(s, saga.lock(s, order_no), event, {"order_no": order_no, **data})
        with transaction(engine, metadata) as s:
            return s.get(Order, order_no).status, points.balance(s, buyer)

    assert step("payment_window_expired") == ("expired", 10)  # given back
    assert step("payment_succeeded", payment_no="P1") == ("paid", 0)  # a late payment takes them again
    assert step("delivery_completed") == ("completed", 19)  # 9.90 paid × 2 per yuan
    assert step("refund_ordered", reason="test") == ("refunding", 19)
    assert step("refund_completed") == ("refunded", 10)  # the 10 spent back, the 19 earned taken
    with transaction(engine, metadata) as s:
        kinds = s.execute(select(PointEntry.kind, PointEntry.points).where(PointEntry.order_no == order_no)).all()
        assert s.get(Order, order_no).points_earned == 19
    assert [tuple(k) for k in kinds] == [
        ("spend", -10),
        ("release", 10),
        ("spend", -10),
        ("earn", 19),
        ("release", 10),
        ("reverse", -19),
    ]
    engine.dispose()


def test_a_claimed_guest_order_earns_points_and_loses_them_on_refund(database_url):
    from services.order import domain, members

    engine = make_engine(database_url)
    buyer = 870_000 + datetime.now(UTC).microsecond
    order_no = stored_order(engine, "completed", amount=1990, token_hash=domain.token_hash("tok"))
    terms = {"per_yuan": 1, "value_fen": 1, "max_percent": 50, "expire_days": 30}
    with transaction(engine, metadata) as s:
        members.claim(s, order_no, "tok", buyer, terms)
    with transaction(engine, metadata) as s:
        assert points.balance(s, buyer) == 19 and s.get(Order, order_no).points_earned == 19
        claimed = s.execute(
            select(metadata.tables["order.outbox"].c.envelope).where(
                metadata.tables["order.outbox"].c.type == "order_claimed",
                metadata.tables["order.outbox"].c.envelope["data"]["order_no"].astext == order_no,
            )
        ).scalar_one()
        assert claimed["data"]["points_earned"] == 19
        members.claim(s, order_no, "tok", buyer, terms)  # again: nothing more
    for event in ("refund_ordered", "refund_completed"):
        with transaction(engine, metadata) as s:
            saga.apply(s, saga.lock(s, order_no), event, {"order_no": order_no, "reason": "test"})
    with transaction(engine, metadata) as s:
        assert points.balance(s, buyer) == 0 and s.get(Order, order_no).status == "refunded"
    engine.dispose()

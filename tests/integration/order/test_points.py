"""The points ledger on real PostgreSQL (services/order/points.py): spending what one holds or
nothing, a reversal that never leaves a balance below zero, the expiry sweeper sharing its work
between replicas (SKIP LOCKED)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.common.db import make_engine, transaction
from services.common.errors import InsufficientBalance
from services.order import points
from services.order.models import PointEntry, PointLot, metadata


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


BUYER = iter(range(900_000, 999_999))


def lot(engine, buyer_id, n, expires_in=timedelta(days=30), order_no=None):
    with transaction(engine, metadata) as s:
        made = PointLot(
            buyer_id=buyer_id, order_no=order_no, points=n, remaining=n, expires_at=datetime.now(UTC) + expires_in
        )
        s.add(made)
        s.flush()
        return made.id


def held(engine, buyer_id):
    with transaction(engine, metadata) as s:
        return points.balance(s, buyer_id)


def entries(engine, buyer_id):
    with transaction(engine, metadata) as s:
        found = s.scalars(select(PointEntry).where(PointEntry.buyer_id == buyer_id).order_by(PointEntry.id))
        return [(e.kind, e.points, e.detail.get("short")) for e in found]


def in_step(engine, buyer_id):
    """A member's entries sum to what their lots hold (expired lots hold nothing once swept)."""
    with transaction(engine, metadata) as s:
        moved = s.scalar(select(func.coalesce(func.sum(PointEntry.points), 0)).where(PointEntry.buyer_id == buyer_id))
        kept = s.scalar(select(func.coalesce(func.sum(PointLot.remaining), 0)).where(PointLot.buyer_id == buyer_id))
        made = s.scalar(
            select(func.coalesce(func.sum(PointLot.points), 0)).where(
                PointLot.buyer_id == buyer_id, PointLot.order_no.is_(None)
            )
        )
    return moved + made == kept  # lots made by hand here have no entry


def test_spending_more_than_one_holds_takes_nothing(engine):
    buyer = next(BUYER)
    lot(engine, buyer, 5)
    lot(engine, buyer, 5, expires_in=timedelta(days=1))
    with pytest.raises(InsufficientBalance), transaction(engine, metadata) as s:
        points.hold(s, buyer, "KP1", 11)
    assert held(engine, buyer) == 10 and entries(engine, buyer) == []
    with transaction(engine, metadata) as s:
        points.hold(s, buyer, "KP1", 7)  # the lot that expires first goes first
    with transaction(engine, metadata) as s:
        left = s.execute(select(PointLot.points, PointLot.remaining).where(PointLot.buyer_id == buyer)).all()
    assert sorted(left) == [(5, 0), (5, 3)] and held(engine, buyer) == 3
    with transaction(engine, metadata) as s:
        assert points.release(s, buyer, "KP1") == 7
        assert points.release(s, buyer, "KP1") == 0  # given back once
    assert held(engine, buyer) == 10 and in_step(engine, buyer)


def test_a_reversal_takes_what_is_left_and_never_goes_below_zero(engine):
    buyer = next(BUYER)
    with transaction(engine, metadata) as s:
        points.earn(s, buyer, "KEARN", 10, expire_days=30)
    with transaction(engine, metadata) as s:
        points.hold(s, buyer, "KSPEND", 8)  # spent on another order meanwhile
    with transaction(engine, metadata) as s:
        assert points.reverse(s, buyer, "KEARN") == 2
        assert points.reverse(s, buyer, "KEARN") == 0  # reversed once
    assert held(engine, buyer) == 0
    assert entries(engine, buyer) == [("earn", 10, None), ("spend", -8, None), ("reverse", -2, 8)]
    assert in_step(engine, buyer)


def test_the_sweeper_expires_due_lots_and_skips_those_another_replica_holds(engine):
    buyer = next(BUYER)
    locked = lot(engine, buyer, 4, expires_in=-timedelta(seconds=1))
    free = lot(engine, buyer, 6, expires_in=-timedelta(seconds=1))
    keep = lot(engine, buyer, 9)
    assert held(engine, buyer) == 9  # what is past its date no longer counts
    with transaction(engine, metadata) as other:
        other.execute(select(PointLot).where(PointLot.id == locked).with_for_update())  # another replica's
        with transaction(engine, metadata) as s:
            points.expire_due(s)
        with transaction(engine, metadata) as s:
            remaining = dict(s.execute(select(PointLot.id, PointLot.remaining).where(PointLot.buyer_id == buyer)).all())
        assert remaining == {locked: 4, free: 0, keep: 9}
    with transaction(engine, metadata) as s:
        points.expire_due(s)
    assert entries(engine, buyer) == [("expire", -6, None), ("expire", -4, None)]
    assert held(engine, buyer) == 9 and in_step(engine, buyer)

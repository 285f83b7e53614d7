"""Buyers of one SKU never queue for each other's codes (FOR UPDATE SKIP LOCKED, real PostgreSQL):
a reservation passes over the codes another open reservation is taking and takes the next ones,
so when that other one gives up its codes were never waited for."""

import eventlet
from sqlalchemy import select, text

from services.catalog.domain import stock
from services.catalog.models import Code
from services.common.testing import unique, wait_until


class GiveUp(Exception):
    pass


def waiting_on_a_lock(engine):
    with engine.connect() as conn:
        return (
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
            > 0
        )


def codes_of(tx, order_no):
    with tx() as s:
        return s.execute(select(Code.id).where(Code.order_no == order_no).order_by(Code.id)).scalars().all()


def test_a_reservation_passes_over_codes_another_is_taking(tx, engine, make_product):
    sku = make_product(n_codes=4, max_quantity=2)
    with tx() as s:
        pool = s.execute(select(Code.id).where(Code.sku == sku).order_by(Code.id)).scalars().all()
    first, second = unique("ORD"), unique("ORD")

    def reserve_second():
        with tx() as s:
            return stock.reserve(s, second, sku, 2, 600)["outcome"]

    try:
        with tx() as s:
            assert stock.reserve(s, first, sku, 2, 600)["outcome"] == "reserved"  # holds pool[0:2], open
            other = eventlet.spawn(reserve_second)
            # the second buyer waits, at most, for the SKU's counters (taken last, held briefly):
            # never for the first buyer's codes
            wait_until(lambda: waiting_on_a_lock(engine) or other.dead, timeout=10, message="the second buyer")
            raise GiveUp  # the first one rolls back
    except GiveUp:
        pass
    assert other.wait() == "reserved"
    assert codes_of(tx, second) == pool[2:4]  # taken past the first buyer's, not waited for
    assert codes_of(tx, first) == []

"""A refund is counted out once however many "refunded" answers arrive (real PostgreSQL): a
channel call slow enough to outlive its lease is claimed and asked a second time, both calls answer
"refunded", and late repeats come after. One journal row, `refunded_amount` equal to the refund,
one `payment_refunded` and one `refund_completed`."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import func, select, update

from services.common.db import transaction
from services.common.testing import unique
from services.payment import refunds
from services.payment.models import Journal, Payment, Refund, metadata

OUTBOX = metadata.tables["payment.outbox"]


class Db:
    """What `refunds.ask` needs of the service's database: transactions."""

    def __init__(self, engine):
        self.engine = engine

    @contextmanager
    def transaction(self):
        with transaction(self.engine, metadata) as session:
            yield session


class SlowChannel:
    """A channel whose refund call is held until `release()`; every call then answers refunded."""

    def __init__(self):
        self.calls, self.gate = [], eventlet.event.Event()

    def refund(self, payment, refund_no, amount, reason):
        self.calls.append(refund_no)
        self.gate.wait()
        return {"status": "refunded", "channel_refund_no": "CH-" + refund_no}


@pytest.fixture
def refund_no(engine):
    """A paid 9.90 payment whose order's whole refund is due."""
    payment_no, order_no = unique("P"), unique("K")
    with transaction(engine, metadata) as s:
        s.add(
            Payment(
                payment_no=payment_no,
                order_no=order_no,
                channel="slow",
                amount=990,
                currency="CNY",
                status="refunding",
                refunded_amount=0,
                paid_at=datetime.now(UTC),
            )
        )
        s.add(
            Refund(
                refund_no=refunds.whole_refund_no(order_no),
                payment_no=payment_no,
                order_no=order_no,
                amount=990,
                reason="buyer asked",
                whole=True,
                status="refunding",
                attempts=0,
                next_try_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
    return refunds.whole_refund_no(order_no)


def booked(engine, refund_no):
    with transaction(engine, metadata) as s:
        refund = s.get(Refund, refund_no)
        payment = s.get(Payment, refund.payment_no)
        journal = s.execute(select(Journal.kind, Journal.amount).where(Journal.refund_no == refund_no)).all()
        events = (
            s.execute(
                select(OUTBOX.c.type)
                .where(OUTBOX.c.envelope["data"]["order_no"].astext == refund.order_no)
                .order_by(OUTBOX.c.id)
            )
            .scalars()
            .all()
        )
        return {
            "refund": refund.status,
            "payment": payment.status,
            "refunded_amount": payment.refunded_amount,
            "journal": [tuple(j) for j in journal],
            "events": events,
        }


ONCE = {
    "refund": "refunded",
    "payment": "refunded",
    "refunded_amount": 990,
    "journal": [("refund", -990)],
    "events": ["payment_refunded", "refund_completed"],
}


def claim_one(engine, refund_no):
    with transaction(engine, metadata) as s:
        return refunds.claim(s, refund_no)


def test_a_call_that_outlived_its_lease_and_was_asked_again_is_booked_once(engine, refund_no):
    channel, db = SlowChannel(), Db(engine)
    assert claim_one(engine, refund_no) == [refund_no]
    first = eventlet.spawn(refunds.ask, db, {"slow": channel}, refund_no, 30)
    eventlet.sleep(0)
    while not channel.calls:
        eventlet.sleep(0.01)
    with transaction(engine, metadata) as s:  # the lease runs out while the call hangs
        s.execute(update(Refund).where(Refund.refund_no == refund_no).values(next_try_at=func.now()))
    assert claim_one(engine, refund_no) == [refund_no]  # so another worker claims it and asks again
    second = eventlet.spawn(refunds.ask, db, {"slow": channel}, refund_no, 30)
    while len(channel.calls) < 2:
        eventlet.sleep(0.01)
    channel.gate.send()  # both calls answer "refunded" at once
    assert sorted([first.wait(), second.wait()]) == ["refunded", "refunded"]
    assert booked(engine, refund_no) == ONCE


def test_many_refunded_answers_at_once_and_later_count_the_money_out_once(engine, refund_no):
    claim_one(engine, refund_no)

    def answer():
        with transaction(engine, metadata) as s:
            return refunds.record(s, refund_no, {"status": "refunded", "channel_refund_no": "CH-1"})

    answers = [eventlet.spawn(answer) for _ in range(6)]
    assert [a.wait() for a in answers] == ["refunded"] * 6
    assert booked(engine, refund_no) == ONCE
    for late in ({"status": "refunded"}, {"status": "failed", "error": "late no"}, {"status": "pending"}):
        with transaction(engine, metadata) as s:
            assert refunds.record(s, refund_no, late) == "refunded"
    assert booked(engine, refund_no) == ONCE

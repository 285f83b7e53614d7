"""The sweeper's deadlines, on both sides, with a clock the test sets (real PostgreSQL): an unpaid
order keeps its reservation up to its `expires_at` and expires right after it; a review likewise;
a stuck step is re-sent only once its timeout has passed. The orders live in 2001, so that no
other order of the run is in the sweeper's way or swept by these clocks."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.common.db import transaction
from services.common.testing import unique
from services.order import saga
from services.order.models import Order, metadata
from tests.integration.order.helpers import stored_order

OUTBOX = metadata.tables["order.outbox"]


def an_order(engine, status, deadline, step_started_at, last_requests=()):
    order_no = unique("KCLOCK").replace("-", "").upper()
    return stored_order(
        engine,
        status,
        order_no,
        payment_no="P" + order_no,
        last_requests=list(last_requests),
        expires_at=deadline,
        step_started_at=step_started_at,
    )


def sweep_at(engine, now):
    with transaction(engine, metadata) as s:
        saga.sweep(s, now=now)


def state(engine, order_no):
    """(status, attempts, requests written for it)."""
    with transaction(engine, metadata) as s:
        order = s.get(Order, order_no)
        sent = (
            s.execute(
                select(OUTBOX.c.type)
                .where(OUTBOX.c.envelope["data"]["order_no"].astext == order_no)
                .order_by(OUTBOX.c.id)
            )
            .scalars()
            .all()
        )
        return order.status, order.attempts, sent


@pytest.mark.parametrize(
    "status, expired, requests",
    [
        ("awaiting_payment", "expired", [saga.RELEASE, saga.CLOSE]),
        ("review", "rejected", [saga.RELEASE]),
    ],
)
def test_an_order_lives_until_its_deadline_and_ends_right_after_it(engine, status, expired, requests):
    deadline = datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    order_no = an_order(engine, status, deadline, step_started_at=deadline - timedelta(minutes=15))
    for before in (timedelta(minutes=2), timedelta(seconds=59), timedelta(seconds=1), timedelta(0)):
        sweep_at(engine, deadline - before)
        assert state(engine, order_no) == (status, 0, []), f"ended {before} before its deadline"
    sweep_at(engine, deadline + timedelta(milliseconds=1))
    assert state(engine, order_no) == (expired, 0, requests)
    sweep_at(engine, deadline + timedelta(minutes=5))  # ended once: nothing more
    assert state(engine, order_no) == (expired, 0, requests)


def test_a_stuck_step_is_sent_again_only_after_its_timeout(engine):
    started = datetime(2001, 3, 4, 5, 6, 7, tzinfo=UTC)
    timeout = timedelta(seconds=saga.TIMEOUTS["reserving"])
    order_no = an_order(
        engine, "reserving", started + timedelta(minutes=15), step_started_at=started, last_requests=[saga.RESERVE]
    )
    sweep_at(engine, started + timeout - timedelta(seconds=1))
    assert state(engine, order_no) == ("reserving", 0, [])
    sweep_at(engine, started + timeout + timedelta(seconds=1))
    assert state(engine, order_no) == ("reserving", 1, [saga.RESERVE])

"""The order's own delivery of codes (DESIGN §3): a batch of payments makes its orders `paid`, the
catalog commits their codes in one call after that commit, and the outcome moves them on; no
event goes to the delivery service unless that call fails (then the sweeper sends it)."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from services.common.db import make_engine, transaction
from services.common.errors import Unavailable
from services.common.testing import make_envelope, unique
from services.order import saga
from services.order.models import Order, metadata
from tests.integration.order.helpers import stored_order

OUTBOX = metadata.tables["order.outbox"]


class Catalog:
    """The catalog's `commit_all` as the order service holds it (an RPC method with `.timed`):
    answers `outcome` for every order asked, or raises it; records what it was asked."""

    def __init__(self, outcome):
        self.outcome, self.asked = outcome, []

    def timed(self, seconds):
        def call(order_nos, deadline):
            assert deadline > datetime.now(UTC).timestamp()
            self.asked.append(sorted(order_nos))
            if isinstance(self.outcome, Exception):
                raise self.outcome
            return dict.fromkeys(order_nos, self.outcome)

        return call


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def paid(engine, *deliveries):
    """Orders awaiting payment, one per delivery kind, then one batch of their payments: (their
    numbers, the orders the handler delivers itself after the commit)."""
    numbers = [
        stored_order(
            engine,
            "awaiting_payment",
            unique("KDELIVER").replace("-", "").upper(),
            delivery=delivery,
            payment_no=unique("P"),
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
        )
        for delivery in deliveries
    ]
    envelopes = [make_envelope("payment_succeeded", order_no=n, amount=100) for n in numbers]
    with transaction(engine, metadata) as s:
        now = saga.advance_all(s, envelopes)
        hinted_now[:] = [(data["order_no"], data["status"]) for _, data, _ in s.info.get("hints", [])]
    return numbers, now


hinted_now = []  # (order_no, status) of the hints the last batch of payments sent


def status_and_sent(engine, order_no):
    with transaction(engine, metadata) as s:
        status = s.get(Order, order_no).status
        sent = s.scalars(select(OUTBOX.c.type).where(OUTBOX.c.envelope["data"]["order_no"].astext == order_no)).all()
    return status, sent


def test_codes_are_committed_by_one_call_and_recharges_go_by_event(engine):
    (card, loop, recharge), now = paid(engine, "card", "loop", "recharge")
    assert sorted(now) == sorted([card, loop])
    assert status_and_sent(engine, card) == ("paid", [])  # no delivery_requested: the order does it
    assert status_and_sent(engine, recharge) == ("paid", ["delivery_requested"])
    assert hinted_now == [(recharge, "paid")]  # the others' buyers hear of them once, completed
    catalog = Catalog("committed")
    saga.deliver_codes(SimpleNamespace(transaction=lambda: transaction(engine, metadata)), catalog, now, 5)
    assert catalog.asked == [sorted([card, loop])]  # one call for the batch
    for order_no in (card, loop):
        assert status_and_sent(engine, order_no) == ("completed", ["order_completed"])


def test_a_reservation_gone_fails_the_delivery_and_refunds(engine):
    (card,), now = paid(engine, "card")
    saga.deliver_codes(SimpleNamespace(transaction=lambda: transaction(engine, metadata)), Catalog("missing"), now, 5)
    assert status_and_sent(engine, card) == ("refunding", ["refund_requested"])


def test_no_answer_leaves_the_order_paid_for_the_sweeper_to_send_by_event(engine):
    (card,), now = paid(engine, "card")
    hinted = []

    @contextmanager
    def tx():
        with transaction(engine, metadata) as s:
            yield s
            hinted.extend((data["order_no"], data["status"]) for _, data, _ in s.info.get("hints", []))

    catalog = Catalog(Unavailable("a service did not answer in time", {}))
    saga.deliver_codes(SimpleNamespace(transaction=tx), catalog, now, 5)
    assert status_and_sent(engine, card) == ("paid", [])
    assert hinted == [(card, "paid")]  # the buyer hears of `paid` after all
    with transaction(engine, metadata) as s:  # the step's timeout passes
        s.get(Order, card).step_started_at = datetime.now(UTC) - timedelta(seconds=saga.TIMEOUTS["paid"] + 1)
    with transaction(engine, metadata) as s:
        saga.sweep(s)
    assert status_and_sent(engine, card) == ("paid", ["delivery_requested"])

"""A recharge stuck past its step's last retry is not compensated on the clock (DESIGN §3): the
sweeper hands its number back to be asked of the supplier service after the commit, and only a
definite failure refunds it; a success completes it; an unknown outcome keeps it waiting. Real
PostgreSQL, a clock the test sets (orders in 2002, out of every other sweeper test's way)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.db import transaction
from services.common.errors import Unavailable
from services.common.testing import unique
from services.order import saga
from services.order.models import metadata
from tests.integration.order.helpers import stored_order
from tests.integration.order.test_sweeper_clock import state

STARTED = datetime(2002, 5, 6, 7, 8, 9, tzinfo=UTC)
LATER = STARTED + timedelta(hours=1)


def stuck(engine, delivery, status="delivering"):
    order_no = unique("KRSWEEP").replace("-", "").upper()
    return stored_order(
        engine,
        status,
        order_no,
        delivery=delivery,
        recharge_account="13800000000" if delivery == "recharge" else None,
        payment_no="P" + order_no,
        attempts=saga.MAX_ATTEMPTS - 1,
        last_requests=[saga.DELIVER],
        step_started_at=STARTED,
    )


def sweep(engine):
    with transaction(engine, metadata) as s:
        return saga.sweep(s, now=LATER)


def settle(engine, answers):
    with transaction(engine, metadata) as s:
        saga.settle_recharges(s, answers)


@pytest.mark.parametrize("status", ["paid", "delivering"])
def test_a_stuck_recharge_is_asked_about_and_a_card_order_compensated(engine, status):
    recharge, card = stuck(engine, "recharge", status), stuck(engine, "card", status)
    asked = sweep(engine)
    assert recharge in asked and card not in asked
    assert state(engine, recharge) == (status, saga.MAX_ATTEMPTS - 1, [])  # untouched by the clock
    assert state(engine, card) == ("refunding", 0, [saga.RELEASE, saga.REFUND])


def test_an_unknown_outcome_keeps_waiting_and_only_a_definite_failure_refunds(engine):
    waiting, failed, done = (stuck(engine, "recharge") for _ in range(3))
    asked = sweep(engine)
    assert {waiting, failed, done} <= set(asked)
    settle(engine, {waiting: "unknown", failed: "failed", done: "succeeded"})
    assert state(engine, waiting) == ("delivering", saga.MAX_ATTEMPTS - 1, [])
    assert waiting not in sweep(engine)  # waits a timeout again (its step restarted now)
    settle(engine, {waiting: "trying"})
    assert state(engine, waiting) == ("delivering", saga.MAX_ATTEMPTS - 1, [])
    assert state(engine, failed) == ("refunding", 0, [saga.RELEASE, saga.REFUND])
    assert state(engine, done) == ("completed", 0, ["order_completed"])


def test_a_supplier_service_that_does_not_answer_is_an_unknown_outcome():
    def down(order_no):
        raise Unavailable("a service did not answer in time", {})

    assert saga.ask_suppliers(down, ["K1"]) == {"K1": "unknown"}
    assert saga.ask_suppliers(lambda order_no: "failed", ["K2"]) == {"K2": "failed"}

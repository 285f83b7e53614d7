"""A recharge's delivery (services/delivery/domain.py) on real PostgreSQL: the hand-over records it
started, the supplier's outcome makes it delivered or failed exactly once, in whichever order the
two arrive, and each is announced once with the event the saga expects."""

from services.common.db import transaction
from services.common.testing import make_envelope, unique
from services.delivery import domain
from services.delivery.models import metadata

STARTED = domain.Outcome(domain.STARTED)


def requested(order_no):
    return make_envelope(
        "delivery_requested", order_no=order_no, sku="RC", quantity=1, delivery="recharge", recharge_account="138"
    )


def outcome(type_, order_no, reason=None):
    return make_envelope(type_, order_no=order_no, sku="RC", quantity=1, reason=reason)


def apply(engine, fn, *args):
    with transaction(engine, metadata) as s:
        fn(s, *args)


def recorded(db, order_no):
    row = db("SELECT status, reason FROM delivery.deliveries WHERE order_no = :o", o=order_no)[0]
    sent = db("SELECT type FROM delivery.outbox WHERE envelope->'data'->>'order_no' = :o ORDER BY id", o=order_no)
    return row["status"], row["reason"], [r["type"] for r in sent]


def test_started_then_delivered_once(engine, db):
    order_no = unique("KDR")
    apply(engine, domain.record, requested(order_no), STARTED)
    for _ in range(2):  # a second outcome event (another event id) changes nothing
        apply(engine, domain.record_recharge, outcome("recharge_succeeded", order_no))
    apply(engine, domain.record_recharge, outcome("recharge_failed", order_no, "late"))
    assert recorded(db, order_no) == ("delivered", None, ["delivery_started", "delivery_completed"])


def test_an_outcome_before_the_hand_over_is_recorded_is_the_delivery(engine, db):
    order_no = unique("KDR")
    apply(engine, domain.record_recharge, outcome("recharge_failed", order_no, "all_suppliers_failed"))
    apply(engine, domain.record, requested(order_no), STARTED)
    assert recorded(db, order_no) == ("failed", "all_suppliers_failed", ["delivery_failed"])


def test_a_hand_over_the_supplier_service_already_ended_is_that_outcome():
    data = requested("K1")["data"]
    assert domain.fulfil(data, None, lambda d: {"status": "trying"}) == STARTED
    assert domain.fulfil(data, None, lambda d: {"status": "succeeded"}) == domain.Outcome(domain.DELIVERED)
    failed = domain.fulfil(data, None, lambda d: {"status": "failed", "reason": "never_started"})
    assert failed == domain.Outcome(domain.FAILED, "never_started")

"""The risk counters on the real Redis: exact sliding windows, no double counts, no races."""

import uuid

import eventlet
import pytest
import redis

from services.risk.counters import Counters
from services.risk.rules import DEFAULT_RULES, Series


@pytest.fixture
def counters():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"kameng-test-risk:{uuid.uuid4().hex}"
    yield Counters(client, prefix)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_a_sliding_window_is_exact_at_its_boundary(counters):
    minute = Series("velocity:ip", "ip:198.51.100.1", 60)
    assert counters.observe("K1", [minute], now=1000.0)[0] == {minute: 1}
    assert counters.observe("K2", [minute], now=1059.0)[0] == {minute: 2}
    assert counters.observe("K3", [minute], now=1060.0)[0] == {minute: 2}  # K1 left the window
    assert counters.observe("K4", [minute], now=1119.5)[0] == {minute: 2}  # K2 left


def test_a_redelivered_order_is_counted_once(counters):
    minute = Series("velocity:contact", "contact:a@example.com", 60)
    assert counters.observe("K1", [minute], contact="a@example.com", hold_s=900, now=1000.0) == ({minute: 1}, 1)
    assert counters.observe("K1", [minute], contact="a@example.com", hold_s=900, now=1001.0) == ({minute: 1}, 1)


def test_unpaid_orders_leave_when_paid_or_when_their_window_ends(counters):
    assert counters.observe("K1", [], contact="b@example.com", hold_s=900, now=1000.0)[1] == 1
    assert counters.observe("K2", [], contact="B@example.com", hold_s=900, now=1010.0)[1] == 2
    counters.settled("b@example.com", "K1")
    assert counters.observe("K3", [], contact="b@example.com", hold_s=900, now=1020.0)[1] == 2
    assert counters.observe("K4", [], contact="b@example.com", hold_s=900, now=1911.0)[1] == 2  # K2 expired


def test_concurrent_orders_each_see_their_own_count(counters):
    """50 orders at once on one key (as 50 replicas would send them): counts 1..50, each once."""
    minute, hour = Series("velocity:ip", "ip:192.0.2.7", 60), Series("velocity:ip", "ip:192.0.2.7", 3600)
    pool = eventlet.GreenPool(50)
    seen = list(
        pool.imap(
            lambda n: counters.observe(f"K{n}", [minute, hour], contact="c@example.com", hold_s=900)[0][minute],
            range(50),
        )
    )
    assert sorted(seen) == list(range(1, 51))
    assert counters.observe("K-last", [minute, hour], contact="c@example.com", hold_s=900) == (
        {minute: 51, hour: 51},
        51,
    )


def test_a_re_sent_assessment_answers_the_first_decision_and_counts_once(database_url, counters):
    """The order's sweeper may re-send a request (a new event id): same decision, same counts."""
    from sqlalchemy import select

    from services.common.db import make_engine, transaction
    from services.common.testing import make_envelope
    from services.risk import domain, models

    engine = make_engine(database_url)
    rules = {
        **DEFAULT_RULES,
        "velocity": [{"dimension": "ip", "window_s": 60, "max": 1, "action": "reject", "score": 0}],
    }
    ip = f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    order_no = f"KRESENT{uuid.uuid4().hex[:10]}"
    outbox = models.metadata.tables["risk.outbox"]
    with transaction(engine, models.metadata) as s:
        domain.set_rules(s, "test", rules)
    try:
        for _ in range(2):
            with transaction(engine, models.metadata) as s:
                envelope = make_envelope("risk_assessment_requested", order_no=order_no, ip=ip, contact="r@example.com")
                assert domain.assess(s, envelope, counters, 1800, 900)["type"] == "risk_approved"
        with transaction(engine, models.metadata) as s:
            sent = (
                s.execute(select(outbox.c.type).where(outbox.c.envelope["data"]["order_no"].astext == order_no))
                .scalars()
                .all()
            )
            assert sent == ["risk_approved", "risk_approved"]
            assert s.get(models.Decision, order_no).outcome == "approve"
        with transaction(engine, models.metadata) as s:  # the next order from that IP is the 2nd
            envelope = make_envelope("risk_assessment_requested", order_no=order_no + "X", ip=ip)
            assert domain.assess(s, envelope, counters, 1800, 900)["type"] == "risk_rejected"
    finally:
        with transaction(engine, models.metadata) as s:
            domain.set_rules(s, "test", dict(DEFAULT_RULES))
        engine.dispose()


def test_an_order_held_for_review_counts_as_unpaid_through_its_review(counters):
    counters.observe("K1", [], contact="h@example.com", hold_s=900, now=1000.0)
    counters.hold("h@example.com", "K1", 900 + 1800, now=1000.0)
    counters.hold("h@example.com", "K-unknown", 2700, now=1000.0)  # XX: never adds an order
    assert counters.observe("K2", [], contact="h@example.com", hold_s=900, now=2000.0)[1] == 2
    assert counters.observe("K3", [], contact="h@example.com", hold_s=900, now=3701.0)[1] == 1  # K1, K2 gone

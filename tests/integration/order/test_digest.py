"""The `orders_placed` digest (services/order/digest.py, issue 22): one outbox event per interval
with every order created since the last one and older than the lag, none twice, none skipped;
with the mark held by another replica it publishes nothing. Real PostgreSQL."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.common.db import transaction
from services.order import digest
from services.order.models import metadata

INSERT = text(
    """INSERT INTO "order".orders (order_no, token_hash, status, sku, delivery, quantity, unit_price, amount,
           currency, price_rule, contact, payment_channel, expires_at, created_at, agent_id)
       VALUES (:no, '\\x00', :status, 'DG-1', 'card', 2, 500, 1000, 'CNY', '{}', :contact, 'sandbox',
               now() + interval '15 minutes', :at, :agent)"""
)


@pytest.fixture
def clean(engine):
    with engine.begin() as conn:
        conn.execute(text('DELETE FROM "order".outbox WHERE type = :t'), {"t": digest.EVENT})
        conn.execute(
            text("""UPDATE "order".digest_marks SET last_at = now() - interval '2 minutes', last_order_no = ''""")
        )


def place(engine, no, at, status="pending", agent=None, contact="Buyer@Example.com"):
    with engine.begin() as conn:
        conn.execute(INSERT, {"no": no, "at": at, "status": status, "contact": contact, "agent": agent})


def digests(engine, prefix="DG-"):
    with engine.connect() as conn:
        rows = conn.execute(
            text('SELECT envelope FROM "order".outbox WHERE type = :t ORDER BY id'), {"t": digest.EVENT}
        ).scalars()
        found = [(r if isinstance(r, dict) else json.loads(r))["data"]["orders"] for r in rows]
    return [[o for o in orders if o["order_no"].startswith(prefix)] for orders in found]  # this test's


def test_each_order_is_digested_once_after_the_lag_with_no_contact(engine, clean):
    now = datetime.now(UTC)
    place(engine, "DG-A", now - timedelta(seconds=30), agent=7)
    place(engine, "DG-B", now - timedelta(seconds=20), status="rejected")
    place(engine, "DG-C", now - timedelta(seconds=20))  # same instant as B: the order number breaks the tie
    place(engine, "DG-NEW", now)  # inside the lag: next time
    with engine.begin() as conn:
        conn.execute(
            text(
                """INSERT INTO "order".transitions (order_no, to_status, event)
                   VALUES ('DG-B', 'rejected', 'risk_rejected')"""
            )
        )
    with transaction(engine, metadata) as s:
        assert digest.publish(s, lag_s=10) >= 3
    with transaction(engine, metadata) as s:
        assert digest.publish(s, lag_s=10) == 0  # nothing new: no event at all
    [orders] = digests(engine)
    assert [o["order_no"] for o in orders] == ["DG-A", "DG-B", "DG-C"]
    a, b = orders[0], orders[1]
    assert (a["sku"], a["quantity"], a["amount"], a["agent_id"], a["channel"]) == ("DG-1", 2, 1000, 7, "sandbox")
    assert a["buyer"] == digest.buyer_key("buyer@example.com") and "contact" not in a
    assert "example.com" not in json.dumps(orders)
    assert (a["risk_rejected"], b["risk_rejected"]) == (False, True)

    with transaction(engine, metadata) as s:
        assert digest.publish(s, lag_s=0) >= 1  # the lag passed
    assert [o["order_no"] for o in digests(engine)[1]] == ["DG-NEW"]


def test_a_replica_holding_the_mark_makes_the_other_skip(engine, clean):
    place(engine, "DG-R1", datetime.now(UTC) - timedelta(minutes=1))
    held, release = threading.Event(), threading.Event()

    def hold():
        with transaction(engine, metadata) as s:
            s.execute(text("""SELECT 1 FROM "order".digest_marks FOR UPDATE"""))
            held.set()
            release.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    held.wait(10)
    try:
        with transaction(engine, metadata) as s:
            assert digest.publish(s, lag_s=0) == 0
    finally:
        release.set()
        other.join()
    with transaction(engine, metadata) as s:
        assert digest.publish(s, lag_s=0) >= 1
    assert [o["order_no"] for o in digests(engine, "DG-R")[0]] == ["DG-R1"]

"""Replica safety: two workers claiming due refunds or payments to reconcile at the same moment
never get the same row (FOR UPDATE SKIP LOCKED, then a lease/stamp)."""

from datetime import UTC, datetime, timedelta

from services.common.db import make_engine, transaction
from services.common.testing import unique
from services.payment import reconcile, refunds
from services.payment.models import Payment, Refund, metadata


def test_two_replicas_never_claim_the_same_refund_or_payment(database_url):
    engine = make_engine(database_url)
    channel = unique("ch")
    old = datetime.now(UTC) - timedelta(minutes=10)
    with transaction(engine, metadata) as s:
        for _ in range(6):
            s.add(
                Payment(
                    payment_no=unique("P"),
                    order_no=unique("K"),
                    channel=channel,
                    amount=100,
                    currency="CNY",
                    status="pending",
                    refunded_amount=0,
                    created_at=old,
                )
            )
            s.add(
                Refund(
                    refund_no=unique("R"),
                    payment_no=unique("P"),
                    order_no=unique("K"),
                    amount=1,
                    reason="t",
                    whole=False,
                    status="refund_failed",
                    attempts=1,
                    next_try_at=old,
                )
            )
    try:
        with transaction(engine, metadata) as first:
            mine = reconcile.claim(first, [channel], after_s=60, every_s=60, batch=4)
            my_refunds = set(refunds.claim(first, batch=4))
            with transaction(engine, metadata) as second:  # while the first still holds its rows
                theirs = reconcile.claim(second, [channel], after_s=60, every_s=60, batch=10)
                their_refunds = set(refunds.claim(second, batch=10))
        assert len(mine) == 4 and len(theirs) == 2 and not set(mine) & set(theirs)
        assert len(my_refunds) == 4 and not my_refunds & their_refunds
        with transaction(engine, metadata) as third:  # stamped and leased: nothing left now
            assert reconcile.claim(third, [channel], after_s=60, every_s=60) == []
            assert not set(refunds.claim(third)) & (my_refunds | their_refunds)
    finally:
        engine.dispose()

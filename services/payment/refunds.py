"""Refunds, full and partial, each idempotent by its refund_no.

    refunding --channel says refunded--> refunded
        |  channel says no / cannot be reached
        v
    refund_failed --next_try_at passed (backoff doubles)--> refunding ... (MAX_ATTEMPTS, then a person)
        |  given up, then the order's whole refund comes
        v
    superseded (the whole refund gives its amount back with the rest)

- `request` records a refund (payment row locked: refunds never exceed what was paid) and
  nothing else; the channel is asked after the commit, by `run`, never inside a transaction.
- `run` claims due refunds with FOR UPDATE SKIP LOCKED and leases them (next_try_at moves on
  before the channel is called), so replicas never ask twice at once; a crash mid-call leaves the
  refund to be asked again, with the same refund_no, when the lease runs out.
- The order's own refund (the saga's `refund_requested`) is `whole`: it refunds what is left of
  the payment and ends with `refund_completed`. Partial refunds (admin) leave the order as it is.
- Every completed refund writes a journal row and `payment_refunded`.
"""

import hashlib
import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common import audit, outbox
from services.common.db import Db
from services.common.errors import Conflict, IdempotencyMismatch, NotFound
from services.payment.channels import Channel, ChannelError
from services.payment.models import Journal, Payment, Refund

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_S = 120  # a claimed refund is not claimed again for this long (the call's worst case)
FIRST_TRY_S = 10  # a new refund is first asked by whoever requested it; the timer only after this


def refund_no_for(order_no: str, idempotency_key: str | None = None) -> str:
    """The saga's refund of an order has one number; an admin's is keyed by Idempotency-Key."""
    if idempotency_key is None:
        return "R" + secrets.token_hex(12).upper()
    return "R" + hashlib.sha256(f"{order_no}\n{idempotency_key}".encode()).hexdigest()[:24].upper()


def whole_refund_no(order_no: str) -> str:
    return f"R-{order_no}"


def _payment_of_order(session: Session, order_no: str) -> Payment:
    payment = session.scalars(
        select(Payment).where(Payment.order_no == order_no).with_for_update().execution_options(populate_existing=True)
    ).first()
    if payment is None:
        raise NotFound("no payment for this order", {"order_no": order_no})
    return payment


def in_flight(session: Session, payment_no: str) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.payment_no == payment_no, Refund.status.in_(("refunding", "refund_failed"))
            )
        )
        or 0
    )


def refundable(session: Session, payment: Payment) -> int:
    if payment.status not in ("paid", "refunding"):
        return 0
    return payment.amount - payment.refunded_amount - in_flight(session, payment.payment_no)


def request_partial(
    session: Session, actor: str, order_no: str, amount: int, reason: str, refund_no: str
) -> Refund | None:
    """An admin's refund of part of an order's payment. Idempotent by refund_no (same amount).
    Returns the refund, or None when `amount` is all that is left: that is the order's own refund
    (its saga), which the caller orders instead."""
    payment = _payment_of_order(session, order_no)
    existing = session.get(Refund, refund_no)
    if existing is not None:
        if (existing.payment_no, existing.amount) != (payment.payment_no, amount):
            raise IdempotencyMismatch("this Idempotency-Key was used for another refund", {})
        return existing
    left = refundable(session, payment)
    if amount == left and payment.status == "paid" and left > 0:
        return None
    if not 0 < amount <= left:
        raise Conflict(
            "more than can be refunded" if amount > 0 else "nothing to refund",
            {"refundable": left, "status": payment.status},
        )
    refund = _new(session, payment, refund_no, amount, reason, whole=False)
    audit.record(
        session,
        actor,
        "payment.refund",
        payment.payment_no,
        {"refund_no": refund_no, "amount": amount, "reason": reason},
    )
    return refund


def request_whole(session: Session, envelope: dict[str, Any]) -> str | None:
    """The saga's `refund_requested`: refund what is left of the order's payment. Returns the
    refund_no to run now, or None when there is nothing to ask a channel."""
    d = envelope["data"]
    payment = _payment_of_order(session, d["order_no"])
    if payment.status in ("creating", "pending", "closed"):  # no money came: nothing to give back
        outbox.add(
            session, "refund_completed", {"order_no": payment.order_no, "payment_no": payment.payment_no, "amount": 0}
        )
        return None
    refund_no = whole_refund_no(payment.order_no)
    existing = session.get(Refund, refund_no)
    if existing is not None:  # the saga asks again: nudge, or tell again
        if existing.status == "refunded":
            _completed(session, payment, existing)
        elif existing.next_try_at is None:
            existing.attempts, existing.next_try_at = 0, func.now()
        return refund_no
    for given_up in session.scalars(
        select(Refund)
        .where(Refund.payment_no == payment.payment_no, Refund.status == "refund_failed", Refund.next_try_at.is_(None))
        .with_for_update()
    ):
        # refused by the channel for good, left for a person: the order's refund takes its amount over
        given_up.status, given_up.error = "superseded", f"its amount went with {refund_no}"
    left = payment.amount - payment.refunded_amount - in_flight(session, payment.payment_no)
    if left <= 0:
        if payment.refunded_amount == payment.amount:  # refunded in parts already
            outbox.add(
                session,
                "refund_completed",
                {"order_no": payment.order_no, "payment_no": payment.payment_no, "amount": 0},
            )
            return None
        log.info("order %s: partial refunds still running; the saga asks again", payment.order_no)
        return None
    payment.status = "refunding"
    _new(session, payment, refund_no, left, d.get("reason") or "refund", whole=True)
    return refund_no


def _new(session: Session, payment: Payment, refund_no: str, amount: int, reason: str, whole: bool) -> Refund:
    refund = Refund(
        refund_no=refund_no,
        payment_no=payment.payment_no,
        order_no=payment.order_no,
        amount=amount,
        reason=reason[:200],
        whole=whole,
        status="refunding",
        attempts=0,
        next_try_at=func.now() + timedelta(seconds=FIRST_TRY_S),
    )
    session.add(refund)
    session.flush()
    return refund


def claim(session: Session, refund_no: str | None = None, batch: int = 20) -> list[str]:
    """Due refunds, leased to this worker (SKIP LOCKED: replica-safe). Returns their numbers.
    `refund_no`: the one refund its requester runs at once, also before it is due (never asked
    yet), so that the retry timer does not race the requester for a new refund."""
    due = Refund.next_try_at <= func.now()
    if refund_no is not None:
        due = (Refund.refund_no == refund_no) & (due | (Refund.attempts == 0))
    query = (
        select(Refund)
        .where(Refund.status.in_(("refunding", "refund_failed")), due)
        .order_by(Refund.next_try_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = session.scalars(query).all()
    for refund in claimed:
        refund.status, refund.attempts = "refunding", refund.attempts + 1
        refund.next_try_at = func.now() + timedelta(seconds=LEASE_S)
    return [r.refund_no for r in claimed]


def ask(db: Db, channels: Mapping[str, Channel], refund_no: str, retry_s: float) -> str:
    """Ask the channel for one claimed refund (outside any transaction), then record the answer."""
    with db.transaction() as s:
        refund = s.get_one(Refund, refund_no)  # claimed: it is there, and so is its payment
        payment = s.get_one(Payment, refund.payment_no)
        s.expunge_all()
    channel = channels.get(payment.channel)
    try:
        if channel is None:
            answer = {"status": "failed", "error": f"channel {payment.channel} is not enabled"}
        else:
            answer = channel.refund(payment, refund.refund_no, refund.amount, refund.reason)
    except ChannelError as exc:
        answer = {"status": "pending", "error": str(exc)}
    except Exception as exc:
        log.exception("refund %s: channel %s failed", refund_no, payment.channel)
        answer = {"status": "pending", "error": f"{type(exc).__name__} in the channel"}
    with db.transaction() as s:
        return record(s, refund_no, answer, retry_s)


def record(session: Session, refund_no: str, answer: dict[str, Any], retry_s: float = 30) -> str:
    refund = session.scalars(
        select(Refund).where(Refund.refund_no == refund_no).with_for_update().execution_options(populate_existing=True)
    ).one()
    if refund.status != "refunding":
        return refund.status
    status = answer.get("status")
    if status == "refunded":
        payment = session.scalars(
            select(Payment)
            .where(Payment.payment_no == refund.payment_no)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        refund.status, refund.finished_at, refund.next_try_at = "refunded", func.now(), None
        refund.channel_refund_no, refund.error = answer.get("channel_refund_no"), None
        payment.refunded_amount += refund.amount
        if payment.refunded_amount == payment.amount:
            payment.status, payment.refunded_at = "refunded", func.now()
        session.add(
            Journal(
                payment_no=payment.payment_no,
                order_no=payment.order_no,
                kind="refund",
                amount=-refund.amount,
                currency=payment.currency,
                refund_no=refund.refund_no,
            )
        )
        outbox.add(
            session,
            "payment_refunded",
            {
                "order_no": payment.order_no,
                "payment_no": payment.payment_no,
                "refund_no": refund.refund_no,
                "amount": refund.amount,
                "refunded_total": payment.refunded_amount,
                "whole": refund.whole,
            },
        )
        if refund.whole:
            _completed(session, payment, refund)
        return "refunded"
    delay = timedelta(seconds=retry_s * 2 ** min(refund.attempts - 1, 10))
    refund.error = str(answer.get("error") or status)[:500]
    if status == "pending":  # accepted or unknown: ask again later, same refund_no
        refund.next_try_at = func.now() + delay
        return "refunding"
    refund.status = "refund_failed"
    refund.next_try_at = func.now() + delay if refund.attempts < MAX_ATTEMPTS else None
    log.warning("refund %s failed (try %d): %s", refund.refund_no, refund.attempts, refund.error)
    return "refund_failed"


def _completed(session: Session, payment: Payment, refund: Refund) -> None:
    outbox.add(
        session,
        "refund_completed",
        {"order_no": payment.order_no, "payment_no": payment.payment_no, "amount": refund.amount},
    )


def public(refund: Refund) -> dict[str, Any]:
    return {
        "refund_no": refund.refund_no,
        "payment_no": refund.payment_no,
        "order_no": refund.order_no,
        "amount": refund.amount,
        "status": refund.status,
        "whole": refund.whole,
        "attempts": refund.attempts,
        "error": refund.error,
    }

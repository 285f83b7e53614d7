"""Payments: intents with our own payment_no, one settlement path for every channel (refunds:
`refunds.py`, reconciliation: `reconcile.py`).

A channel's notification is verified by that channel's rules (`channels/`); what is verified
then goes through `settle`, which checks our number, the channel, the amount and the state,
records the raw notification, and moves the payment to paid exactly once (the payment row is
locked: duplicates and concurrent notifications find it paid already). Reconciliation feeds what
a channel's `query` answers through the same `settle`."""
import hashlib
import json
import logging
import uuid

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text, update

from services.common import metrics, outbox, sql
from services.common.errors import NotFound, Unavailable
from services.payment.channels import Refused, urls_for
from services.payment.models import Notification, Payment, Refund

log = logging.getLogger(__name__)


def payment_no_for(request):
    """The number of the payment a `payment_requested` event asks for, derived from the event's
    id. A retry of that event (alone after its batch failed, or redelivered) offers the channel
    the same `out_trade_no`: the trade a rolled-back attempt opened there is taken up again, never
    left open beside a second one. Event ids are random UUIDs: the numbers are as unpredictable
    as random ones."""
    return "P" + hashlib.sha256(uuid.UUID(str(request["event_id"])).bytes).hexdigest()[:20].upper()


EXISTING_INTENT = "SELECT payment_no, order_no, pay_url, channel FROM payment.payments WHERE order_no = %(order_no)s"
NEW_INTENT = """INSERT INTO payment.payments
    (payment_no, order_no, channel, amount, currency, status, refunded_amount, chain_amount, pay_url, qr_code)
VALUES (%(payment_no)s, %(order_no)s, %(channel)s, %(amount)s, %(currency)s, 'pending', 0, %(chain_amount)s,
        %(pay_url)s, %(qr_code)s)"""


def create_intent(session, envelope, channels, public_url):
    """The payment of an order, and what the buyer is sent to (the channel's `start_payment`).
    A channel that is not enabled gets our own pay page, which says the channel is unavailable.
    Every order's path: plain SQL (services/common/sql.py)."""
    d = envelope["data"]
    payment: Any = sql.run(session, EXISTING_INTENT, {"order_no": d["order_no"]}).first()   # Row, or new Payment
    if payment is None:
        payment = Payment(payment_no=payment_no_for(envelope), order_no=d["order_no"], channel=d["channel"],
                          amount=d["amount"], currency=d["currency"], status="pending", refunded_amount=0)
        channel = channels.get(payment.channel)
        if channel is not None and hasattr(channel, "base_amount"):
            payment.chain_amount = unique_amount(session, payment.channel, channel.base_amount(payment))
        started = channel.start_payment(payment, urls_for(public_url, channel.name, payment)) if channel else {}
        payment.pay_url = started.get("pay_url") or f"{public_url}/pay/{payment.payment_no}"
        payment.qr_code = started.get("qr_code")
        sql.run(session, NEW_INTENT, {c: getattr(payment, c) for c in (
            "payment_no", "order_no", "channel", "amount", "currency", "chain_amount", "pay_url", "qr_code")})
    outbox.add(session, "payment_intent_created", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                   "pay_url": payment.pay_url, "channel": payment.channel})


UNIQUE_OFFSETS = 9999


def unique_amount(session, channel, base):
    """`base` plus the smallest offset (1..9999 units) no other payment of this channel from the
    last day has: a transfer of that exact amount then names its payment. A paid payment keeps
    its amount for the day too: freed at once, a new payment could be settled by the transfer
    that paid the old one (the watcher looks a little before a payment's creation). Allocations
    are serialised per channel by a transaction-scoped advisory lock."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"payment.chain_amount:{channel}"})
    taken = set(session.scalars(select(Payment.chain_amount).where(
        Payment.channel == channel, Payment.created_at > func.now() - timedelta(days=1),
        Payment.chain_amount.between(base + 1, base + UNIQUE_OFFSETS))))
    for offset in range(1, UNIQUE_OFFSETS + 1):
        if base + offset not in taken:
            return base + offset
    raise Unavailable("too many payments of this amount in the last day; try again later", {"channel": channel})


def close_intent(session, envelope):
    session.execute(update(Payment).where(Payment.order_no == envelope["data"]["order_no"],
                                          Payment.status == "pending")
                    .values(status="closed", closed_at=func.now()))


def notify(session, channels, name, request, stored):
    """A channel's notification, as the gateway received it: verify by the channel's rules, then
    settle once. Returns (outcome, (status, headers, body) of the reply in the channel's format),
    or (outcome, None) for a channel that is not enabled (kept too: somebody is sending them).
    `stored` is the request as kept for audit (JSON-safe)."""
    channel = channels.get(name)
    if channel is None:
        return record_refused(session, name, stored, "channel not enabled"), None
    try:
        notice = channel.verify_notify(request)
    except Refused as refused:
        outcome = record_refused(session, name, stored, str(refused))
        return outcome, channel.reply(False)
    outcome = settle(session, name, notice, stored)
    return outcome, channel.reply(not outcome.startswith("rejected"))


# Settling, every paid order's path, in plain SQL (services/common/sql.py)
SETTLING = ("SELECT payment_no, order_no, channel, amount, currency, status FROM payment.payments "
            "WHERE payment_no = %(payment_no)s FOR UPDATE")
PAID = """WITH paid AS (
    UPDATE payment.payments SET status = 'paid', paid_at = now(), channel_trade_no = %(trade_no)s
    WHERE payment_no = %(payment_no)s RETURNING payment_no, order_no, amount, currency)
INSERT INTO payment.journal (payment_no, order_no, kind, amount, currency)
SELECT payment_no, order_no, 'payment', amount, currency FROM paid"""
TRADE_TAKEN = ("SELECT payment_no FROM payment.payments WHERE channel = %(channel)s AND channel_trade_no = %(trade_no)s "
               "AND payment_no <> %(payment_no)s")
NOTIFIED = """INSERT INTO payment.notifications (channel, payment_no, raw, verified, outcome)
VALUES (%(channel)s, %(payment_no)s, %(raw)s::jsonb, true, %(outcome)s)"""


def settle(session, channel, notice, raw):
    """`notice` is what the channel vouched for (a `channels.Notice`). Answers "paid" (this
    notice paid it), "repeat" (paid before), or "rejected: <why>"; every answer is recorded with
    the raw notification and counted."""
    payment: Any = sql.run(session, SETTLING, {"payment_no": notice.payment_no}).first()   # None: _check says so
    outcome = _check(payment, channel, notice)
    if outcome == "ok" and notice.trade_no is not None and sql.run(session, TRADE_TAKEN, {
            "channel": channel, "trade_no": notice.trade_no, "payment_no": payment.payment_no}).first():
        outcome = "rejected: that trade paid another payment"     # one transfer pays one payment (unique index too)
    if outcome == "ok":
        sql.run(session, PAID, {"payment_no": payment.payment_no, "trade_no": notice.trade_no})
        outbox.add(session, "payment_succeeded", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                  "amount": payment.amount, "channel": channel})
        outcome = "paid"
    sql.run(session, NOTIFIED, {"channel": channel, "payment_no": notice.payment_no, "raw": json.dumps(raw),
                                "outcome": outcome})
    if outcome.startswith("rejected"):
        log.warning("payment notification refused: %s", outcome,
                    extra={"channel": channel, "payment_no": notice.payment_no})
    metrics.PAYMENT_NOTIFICATIONS.labels(channel, outcome.split(":")[0]).inc()
    return outcome


def _check(payment, channel, notice):
    if payment is None:
        return "rejected: unknown payment"
    if payment.channel != channel:
        return "rejected: another channel's payment"
    if not notice.paid:                          # authentic, but no money (Alipay's TRADE_CLOSED): acknowledged
        return "ignored: not paid"
    if notice.amount != payment.amount:
        return "rejected: amount differs"
    if payment.status in ("paid", "refunding", "refunded"):
        return "repeat"
    return "ok"                                  # pending, or closed: a late payment is still money


def record_refused(session, channel, raw, why):
    """An unverifiable notification changes nothing but is kept for audit, logged and counted."""
    outcome = f"refused: {why}"
    session.add(Notification(channel=channel, payment_no=None, raw=raw, verified=False, outcome=outcome))
    log.warning("payment notification refused: %s", why, extra={"channel": channel})
    metrics.PAYMENT_NOTIFICATIONS.labels(channel, "refused").inc()
    return outcome


def payment_of(session, payment_no):
    payment = session.get(Payment, payment_no)
    if payment is None:
        raise NotFound("no such payment", {"payment_no": payment_no})
    return payment


def admin_view(session, order_no):
    payment = session.scalars(select(Payment).where(Payment.order_no == order_no)).first()
    if payment is None:
        raise NotFound("no payment for this order", {"order_no": order_no})
    refunds = session.scalars(select(Refund).where(Refund.payment_no == payment.payment_no)
                              .order_by(Refund.created_at)).all()
    notes = session.scalars(select(Notification).where(Notification.payment_no == payment.payment_no)
                            .order_by(Notification.id).limit(100)).all()
    return {**public(payment), "channel_trade_no": payment.channel_trade_no,
            "created_at": _iso(payment.created_at), "paid_at": _iso(payment.paid_at),
            "refunds": [{"refund_no": r.refund_no, "amount": r.amount, "status": r.status, "whole": r.whole,
                         "attempts": r.attempts, "error": r.error, "reason": r.reason,
                         "created_at": _iso(r.created_at), "finished_at": _iso(r.finished_at)} for r in refunds],
            "notifications": [{"outcome": n.outcome, "verified": n.verified, "at": _iso(n.received_at),
                               "source": n.raw.get("source", "notify")} for n in notes]}


def _iso(at):
    return at and at.isoformat().replace("+00:00", "Z")


def public(payment):
    return {"payment_no": payment.payment_no, "order_no": payment.order_no, "channel": payment.channel,
            "amount": payment.amount, "currency": payment.currency, "status": payment.status,
            "refunded_amount": payment.refunded_amount, "pay_url": payment.pay_url, "qr_code": payment.qr_code,
            "chain_amount": payment.chain_amount}


MONEY_MOVED = ("paid", "refunding", "refunded")


def integrity_facts(session, days):
    """For the integrity check: payments of the last `days` days that received money, as
    [payment_no, order_no, status, amount, refunded_amount]."""
    rows = session.execute(select(Payment.payment_no, Payment.order_no, Payment.status, Payment.amount,
                                  Payment.refunded_amount)
                           .where(Payment.status.in_(MONEY_MOVED),
                                  Payment.created_at > func.now() - timedelta(days=days))).all()
    return [list(row) for row in rows]

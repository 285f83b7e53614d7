"""Payments: intents with our own payment_no, one settlement path for every channel, refunds.

A channel's notification is verified by that channel's rules (`channels.py`); what is verified
then goes through `settle`, which checks our number, the amount and the state, records the raw
notification, and moves the payment to paid exactly once (a conditional UPDATE: duplicates and
concurrent notifications find it paid already)."""
import logging
import secrets

from sqlalchemy import func, select, update

from services.common import outbox
from services.common.errors import NotFound
from services.payment.models import Journal, Notification, Payment

log = logging.getLogger(__name__)


def new_payment_no():
    return "P" + secrets.token_hex(10).upper()


def create_intent(session, envelope, public_url):
    d = envelope["data"]
    payment = session.scalars(select(Payment).where(Payment.order_no == d["order_no"])).first()
    if payment is None:
        payment = Payment(payment_no=new_payment_no(), order_no=d["order_no"], channel=d["channel"],
                          amount=d["amount"], currency=d["currency"], status="pending")
        payment.pay_url = f"{public_url}/pay/{payment.payment_no}"
        session.add(payment)
        session.flush()
    outbox.add(session, "payment_intent_created", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                   "pay_url": payment.pay_url, "channel": payment.channel})


def close_intent(session, envelope):
    session.execute(update(Payment).where(Payment.order_no == envelope["data"]["order_no"],
                                          Payment.status == "pending")
                    .values(status="closed", closed_at=func.now()))


def settle(session, channel, notice, raw):
    """`notice` is what the channel's verification vouched for: payment_no, amount, trade_no.
    Answers "paid" (this notice paid it), "repeat" (paid before), or "rejected: <why>"."""
    payment = session.scalars(select(Payment).where(Payment.payment_no == notice["payment_no"])
                              .with_for_update()).first()
    outcome = _check(payment, channel, notice)
    if outcome == "ok":
        payment.status, payment.paid_at, payment.channel_trade_no = "paid", func.now(), notice.get("trade_no")
        session.add(Journal(payment_no=payment.payment_no, order_no=payment.order_no, kind="payment",
                            amount=payment.amount, currency=payment.currency))
        outbox.add(session, "payment_succeeded", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                  "amount": payment.amount, "channel": channel})
        outcome = "paid"
    session.add(Notification(channel=channel, payment_no=notice.get("payment_no"), raw=raw,
                             verified=True, outcome=outcome))
    if outcome.startswith("rejected"):
        log.warning("payment notification refused: %s", outcome)
    return outcome


def _check(payment, channel, notice):
    if payment is None:
        return "rejected: unknown payment"
    if payment.channel != channel:
        return "rejected: another channel's payment"
    if notice.get("amount") != payment.amount:
        return "rejected: amount differs"
    if payment.status in ("paid", "refunding", "refunded"):
        return "repeat"
    return "ok"                                  # pending, or closed: a late payment is still money


def record_refused(session, channel, raw, why):
    """An unverifiable notification changes nothing but is kept for audit."""
    session.add(Notification(channel=channel, payment_no=None, raw=raw, verified=False, outcome=f"rejected: {why}"))


def refund(session, envelope):
    """Refund an order's payment in full. The sandbox channel settles refunds at once; real
    channels answer asynchronously (their own issue)."""
    d = envelope["data"]
    payment = session.scalars(select(Payment).where(Payment.order_no == d["order_no"]).with_for_update()).first()
    if payment is None:
        raise NotFound("no payment for this order", {"order_no": d["order_no"]})
    if payment.status == "paid":
        payment.status, payment.refunded_at = "refunded", func.now()
        session.add(Journal(payment_no=payment.payment_no, order_no=payment.order_no, kind="refund",
                            amount=-payment.amount, currency=payment.currency))
    if payment.status == "refunded":
        outbox.add(session, "refund_completed", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                 "amount": payment.amount})
    elif payment.status in ("pending", "closed"):   # no money came: nothing to give back
        outbox.add(session, "refund_completed", {"order_no": payment.order_no, "payment_no": payment.payment_no,
                                                 "amount": 0})


def payment_of(session, payment_no):
    payment = session.get(Payment, payment_no)
    if payment is None:
        raise NotFound("no such payment", {"payment_no": payment_no})
    return payment


def public(payment):
    return {"payment_no": payment.payment_no, "order_no": payment.order_no, "channel": payment.channel,
            "amount": payment.amount, "currency": payment.currency, "status": payment.status}

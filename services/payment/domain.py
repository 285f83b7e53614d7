"""Payments: one settlement path for every channel (intents: `intents.py`, refunds:
`refunds.py`, reconciliation: `reconcile.py`).

A channel's notification is verified by that channel's rules (`channels/`); what is verified
then goes through `settle`, which checks our number, the channel, the amount and the state,
records the raw notification, and moves the payment to paid exactly once (the payment row is
locked: duplicates and concurrent notifications find it paid already). Reconciliation feeds what
a channel's `query` answers through the same `settle`."""

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit, metrics, outbox, sql
from services.common.errors import Conflict, NotFound
from services.payment.channels import Channel, Notice, Refused
from services.payment.models import Journal, Notification, Payment, Refund

log = logging.getLogger(__name__)


def close_intent(session: Session, envelope: dict[str, Any]) -> None:
    """The order's window ran out: its payment is closed, also one still being made (`intents`:
    its channel's answer then changes nothing). Reconciliation still asks about it for a day."""
    session.execute(
        update(Payment)
        .where(Payment.order_no == envelope["data"]["order_no"], Payment.status.in_(("creating", "pending")))
        .values(status="closed", closed_at=func.now())
    )


def notify(
    session: Session, channels: Mapping[str, Channel], name: str, request: dict[str, Any], stored: dict[str, Any]
) -> tuple[str, tuple[Any, ...] | None]:
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
PAYMENTS = sql.qualified(Payment.__table__)
SETTLING = (
    f"SELECT payment_no, order_no, channel, amount, currency, status FROM {PAYMENTS} "
    "WHERE payment_no = %(payment_no)s FOR UPDATE"
)
PAID = f"""WITH paid AS (
    UPDATE {PAYMENTS} SET status = 'paid', paid_at = now(), channel_trade_no = %(trade_no)s
    WHERE payment_no = %(payment_no)s RETURNING payment_no, order_no, amount, currency)
INSERT INTO {sql.qualified(Journal.__table__)} (payment_no, order_no, kind, amount, currency)
SELECT payment_no, order_no, 'payment', amount, currency FROM paid"""
TRADE_TAKEN = (
    f"SELECT payment_no FROM {PAYMENTS} WHERE channel = %(channel)s AND channel_trade_no = %(trade_no)s "
    "AND payment_no <> %(payment_no)s"
)
NOTIFIED = f"""INSERT INTO {sql.qualified(Notification.__table__)} (channel, payment_no, raw, verified, outcome)
VALUES (%(channel)s, %(payment_no)s, %(raw)s::jsonb, true, %(outcome)s)"""


def settle(session: Session, channel: str, notice: Notice, raw: dict[str, Any]) -> str:
    """`notice` is what the channel vouched for (a `channels.Notice`). Answers "paid" (this
    notice paid it), "repeat" (paid before), or "rejected: <why>"; every answer is recorded with
    the raw notification and counted."""
    payment: Any = sql.run(session, SETTLING, {"payment_no": notice.payment_no}).first()  # None: _check says so
    outcome = _check(payment, channel, notice)
    if (
        outcome == "ok"
        and notice.trade_no is not None
        and sql.run(
            session, TRADE_TAKEN, {"channel": channel, "trade_no": notice.trade_no, "payment_no": payment.payment_no}
        ).first()
    ):
        outcome = "rejected: that trade paid another payment"  # one transfer pays one payment (unique index too)
    if outcome == "ok":
        sql.run(session, PAID, {"payment_no": payment.payment_no, "trade_no": notice.trade_no})
        outbox.add(
            session,
            "payment_succeeded",
            {
                "order_no": payment.order_no,
                "payment_no": payment.payment_no,
                "amount": payment.amount,
                "channel": channel,
            },
        )
        outcome = "paid"
    sql.run(
        session,
        NOTIFIED,
        {"channel": channel, "payment_no": notice.payment_no, "raw": json.dumps(raw), "outcome": outcome},
    )
    if outcome.startswith("rejected"):
        log.warning(
            "payment notification refused: %s", outcome, extra={"channel": channel, "payment_no": notice.payment_no}
        )
    metrics.PAYMENT_NOTIFICATIONS.labels(channel, outcome.split(":")[0]).inc()
    return outcome


def confirm_by_hand(session: Session, actor: str, order_no: str, trade_no: str, reason: str) -> str:
    """Finance saw the order's money arrive in the channel's own records, but its notification
    never came and reconciliation cannot see it. The payment is settled through the one `settle`
    path, as the channel's notification would have settled it: the saga takes it from there
    (paid, delivered once; a late payment on an expired order). The notification arriving after
    it is a repeat and changes nothing, and the trade number it names cannot pay another payment.
    Audited with the person and the reason. NotFound without a payment; Conflict once settled."""
    payment = session.scalars(select(Payment).where(Payment.order_no == order_no)).first()
    if payment is None:
        raise NotFound("no payment for this order", {"order_no": order_no})
    notice = Notice(payment_no=payment.payment_no, amount=payment.amount, trade_no=trade_no, paid=True)
    raw = {"source": "by_hand", "by": actor, "reason": reason, "trade_no": trade_no}
    outcome = settle(session, payment.channel, notice, raw)
    if outcome != "paid":  # settled before (`repeat`), or that trade paid another payment
        raise Conflict("the payment cannot be confirmed", {"outcome": outcome, "status": payment.status})
    audit.record(session, actor, "payment.confirm_by_hand", order_no, {"payment_no": payment.payment_no, **raw})
    return outcome


def _check(payment: Any, channel: str, notice: Notice) -> str:
    if payment is None:
        return "rejected: unknown payment"
    if payment.channel != channel:
        return "rejected: another channel's payment"
    if not notice.paid:  # authentic, but no money (Alipay's TRADE_CLOSED): acknowledged
        return "ignored: not paid"
    if notice.amount != payment.amount:
        return "rejected: amount differs"
    if payment.status in ("paid", "refunding", "refunded"):
        return "repeat"
    return "ok"  # pending, closed (a late payment is still money), creating


REFUSED_KEEP = 4096  # bytes of a refused notification kept (as JSON text); anybody can send one


def record_refused(session: Session, channel: str, raw: dict[str, Any], why: str) -> str:
    """An unverifiable notification changes nothing but is kept for audit, logged and counted.
    Anybody can send one, so at most REFUSED_KEEP bytes of it are kept with the SHA-256 of the
    whole, and the same one again only counts (`repeats`, `last_at`) on the row kept."""
    outcome = f"refused: {why}"
    whole = json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()
    kept = raw if len(whole) <= REFUSED_KEEP else {"cut": True, "size": len(whole), "head": _head(whole)}
    session.execute(
        insert(Notification)
        .values(
            channel=channel,
            payment_no=None,
            raw=kept,
            verified=False,
            outcome=outcome,
            sha256=hashlib.sha256(whole).digest(),
            last_at=func.now(),
        )
        .on_conflict_do_update(
            index_elements=["channel", "sha256"],
            index_where=Notification.sha256.is_not(None),
            set_={"repeats": Notification.repeats + 1, "last_at": func.now()},
        )
    )
    log.warning("payment notification refused: %s", why, extra={"channel": channel})
    metrics.PAYMENT_NOTIFICATIONS.labels(channel, "refused").inc()
    return outcome


def _head(whole: bytes) -> str:
    """The first REFUSED_KEEP bytes of a notification's JSON text, cut on a character boundary."""
    return whole[:REFUSED_KEEP].decode("utf-8", "ignore")


def payment_of(session: Session, payment_no: str) -> Payment:
    payment = session.get(Payment, payment_no)
    if payment is None:
        raise NotFound("no such payment", {"payment_no": payment_no})
    return payment


def admin_view(session: Session, order_no: str) -> dict[str, Any]:
    payment = session.scalars(select(Payment).where(Payment.order_no == order_no)).first()
    if payment is None:
        raise NotFound("no payment for this order", {"order_no": order_no})
    refunds = session.scalars(
        select(Refund).where(Refund.payment_no == payment.payment_no).order_by(Refund.created_at)
    ).all()
    notes = session.scalars(
        select(Notification).where(Notification.payment_no == payment.payment_no).order_by(Notification.id).limit(100)
    ).all()
    return {
        **public(payment),
        "channel_trade_no": payment.channel_trade_no,
        "created_at": _iso(payment.created_at),
        "paid_at": _iso(payment.paid_at),
        "refunds": [
            {
                "refund_no": r.refund_no,
                "amount": r.amount,
                "status": r.status,
                "whole": r.whole,
                "attempts": r.attempts,
                "error": r.error,
                "reason": r.reason,
                "created_at": _iso(r.created_at),
                "finished_at": _iso(r.finished_at),
            }
            for r in refunds
        ],
        "notifications": [
            {
                "outcome": n.outcome,
                "verified": n.verified,
                "at": _iso(n.received_at),
                "source": n.raw.get("source", "notify"),
            }
            for n in notes
        ],
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def public(payment: Payment) -> dict[str, Any]:
    return {
        "payment_no": payment.payment_no,
        "order_no": payment.order_no,
        "channel": payment.channel,
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "refunded_amount": payment.refunded_amount,
        "pay_url": payment.pay_url,
        "qr_code": payment.qr_code,
        "chain_amount": payment.chain_amount,
    }


MONEY_MOVED = ("paid", "refunding", "refunded")


def integrity_facts(session: Session, days: float) -> list[list[Any]]:
    """For the integrity check: payments of the last `days` days that received money, as
    [payment_no, order_no, status, amount, refunded_amount]."""
    rows = session.execute(
        select(Payment.payment_no, Payment.order_no, Payment.status, Payment.amount, Payment.refunded_amount).where(
            Payment.status.in_(MONEY_MOVED), Payment.created_at > func.now() - timedelta(days=days)
        )
    ).all()
    return [list(row) for row in rows]

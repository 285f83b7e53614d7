"""Reconciliation: the cure for "the callback never arrived".

A timer asks each channel (`query`) about payments still open -- pending past
KAMENG_PAYMENT_RECONCILE_AFTER_S, or closed because the order's window ran out -- at most every
KAMENG_PAYMENT_RECONCILE_EVERY_S, for a day after creation. A payment the channel says is paid
goes through `domain.settle`, the one settle path, as a notification whose raw is the channel's
answer (`{"source": "reconciliation", ...}`): amount, channel and state are checked as for any
notify, and a disagreement is kept and shown by `report`. Payments are claimed FOR UPDATE SKIP
LOCKED and stamped before the channel is asked (outside any transaction): replica-safe.
"""

import logging
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.common import metrics
from services.common.db import Db
from services.payment import domain
from services.payment.channels import Channel, ChannelError, Refused
from services.payment.models import Notification, Payment, Refund

log = logging.getLogger(__name__)

HORIZON = timedelta(days=1)
SOURCE = "reconciliation"


def claim(
    session: Session, names: Collection[str], after_s: float, every_s: float, batch: int = 20
) -> list[tuple[str, str]]:
    if not names:
        return []
    now = func.now()
    payments = session.scalars(
        select(Payment)
        .where(
            Payment.status.in_(("pending", "closed")),
            Payment.channel.in_(names),
            Payment.created_at < now - timedelta(seconds=after_s),
            Payment.created_at > now - HORIZON,
            or_(Payment.last_checked_at.is_(None), Payment.last_checked_at < now - timedelta(seconds=every_s)),
        )
        .order_by(Payment.last_checked_at.nulls_first(), Payment.created_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for payment in payments:
        payment.last_checked_at = now
    return [(p.payment_no, p.channel) for p in payments]


def check(db: Db, channels: Mapping[str, Channel], payment_no: str) -> str:
    """Ask the payment's channel; settle what it says is paid. Returns the outcome."""
    with db.transaction() as s:
        payment = s.get_one(Payment, payment_no)  # claimed: it is there
        s.expunge_all()
    try:
        notice = channels[payment.channel].query(payment)
    except ChannelError as exc:
        log.warning("reconciliation: %s unreachable for %s: %s", payment.channel, payment_no, exc)
        metrics.PAYMENT_NOTIFICATIONS.labels(payment.channel, "unreachable").inc()
        return "unreachable"
    except Refused as exc:  # an answer that does not verify is no answer
        log.warning("reconciliation: %s answer for %s refused: %s", payment.channel, payment_no, exc)
        metrics.PAYMENT_NOTIFICATIONS.labels(payment.channel, "unreachable").inc()
        return "unreachable"
    if notice is None or not notice.paid:
        return "open"
    raw = {
        "source": SOURCE,
        "payment_no": notice.payment_no,
        "amount": notice.amount,
        "trade_no": notice.trade_no,
        "paid": notice.paid,
    }
    with db.transaction() as s:
        outcome = domain.settle(s, payment.channel, notice, raw)
    log.info("reconciliation: %s %s", payment_no, outcome)
    return outcome


def run(db: Db, channels: Mapping[str, Channel], after_s: float, every_s: float) -> dict[str, str]:
    """One pass. Channels with `watch_every_s` (USDT) are watched from the start at their pace."""
    watched: dict[str, float] = {
        n: pace for n, c in channels.items() if (pace := getattr(c, "watch_every_s", None))
    }  # optional, not part of the Channel protocol
    names = [n for n in channels if n != "sandbox" and n not in watched]  # the sandbox has nobody to ask
    with db.transaction() as s:
        due = claim(s, names, after_s, every_s)
        for name, pace in watched.items():
            due += claim(s, [name], 0, pace)
    outcomes, down = {}, set()
    for payment_no, channel in due:
        if channel in down:  # unreachable a moment ago: its payments wait for the next pass
            continue
        outcomes[payment_no] = check(db, channels, payment_no)
        if outcomes[payment_no] == "unreachable":
            down.add(channel)
    return outcomes


def report(session: Session, days: float = 7, limit: int = 200) -> dict[str, Any]:
    """Mismatches of the last `days`: payments settled only by reconciliation (their notify never
    came), money a channel reports that we refused (amount, channel, unknown payment), refunds that
    failed; and counts of unverifiable notifications per channel."""
    since = func.now() - timedelta(days=days)
    items = []
    rows = session.execute(
        select(Notification, Payment)
        .outerjoin(Payment, Payment.payment_no == Notification.payment_no)
        .where(
            Notification.received_at >= since,
            Notification.verified.is_(True),
            or_(
                Notification.outcome.like("rejected%"),
                (Notification.outcome == "paid") & (Notification.raw["source"].astext == SOURCE),
            ),
        )
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    for note, payment in rows:
        from_query = note.raw.get("source") == SOURCE
        items.append(
            {
                "kind": "settled_by_reconciliation" if note.outcome == "paid" else "rejected_payment",
                "channel": note.channel,
                "payment_no": note.payment_no,
                "order_no": payment.order_no if payment else None,
                "amount": payment.amount if payment else None,
                "detail": ("channel query: " if from_query else "notify: ") + note.outcome,
                "at": note.received_at.isoformat().replace("+00:00", "Z"),
            }
        )
    for refund in session.scalars(
        select(Refund).where(Refund.status == "refund_failed").order_by(Refund.created_at.desc()).limit(limit)
    ):
        items.append(
            {
                "kind": "refund_failed",
                "channel": None,
                "payment_no": refund.payment_no,
                "order_no": refund.order_no,
                "amount": refund.amount,
                "detail": f"{refund.refund_no} after {refund.attempts} tries: {refund.error}"
                + ("" if refund.next_try_at else " (given up)"),
                "at": refund.created_at.isoformat().replace("+00:00", "Z"),
            }
        )
    refused = dict(
        session.execute(
            select(Notification.channel, func.sum(Notification.repeats))
            .where(
                func.coalesce(Notification.last_at, Notification.received_at) >= since,
                Notification.verified.is_(False),
            )
            .group_by(Notification.channel)
        )
        .tuples()
        .all()
    )
    return {"items": items, "refused_notifications": refused}

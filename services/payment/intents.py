"""Payment intents, made so that no transaction is open while a channel is asked (WeChat Pay's
Native order is an HTTP request that may take seconds).

Every order's intent is made when its pay link is first opened, or when the sandbox pays its
number (`start_now`, from the `open_intent` RPC): the order service fixed the payment number at
acceptance and says, on first sight, what it is for. The intent is written 'creating' leased to
the call, the channel asked, and the answer recorded. Orders made before that (and any
`payment_requested` still sent) take the event path:

1. `create`, in the batch's inbox transaction: the intent row, status 'creating', with the
   payment_no the event carries (or one derived from its id); a transfer channel's unique
   amount is allotted here (its advisory lock is held only by this short transaction).
2. `finish` claims its orders' 'creating' intents (FOR UPDATE SKIP LOCKED, leased through
   `last_checked_at` for LEASE_S), commits, then asks each channel's `start_payment` outside any
   transaction, and records the answers in a second transaction: pay_url and qr_code, status
   'pending', `payment_intent_created`.

A channel that fails, or a crash between the steps, leaves the intent 'creating', never lost and
never made twice: the event's retry (its handler finishes its orders' intents even when the
inbox says the event was handled) or the sweeper (`finish`, from the reconciliation timer, once
an intent is LEASE_S old and not leased) asks the channel again with the same payment_no, so
the channel takes up the trade it may have opened rather than open a second one.
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, func, select, text
from sqlalchemy.orm import Session

from services.common import outbox, sql
from services.common.db import Db
from services.common.errors import Unavailable
from services.payment.channels import Channel, urls_for
from services.payment.models import Payment

log = logging.getLogger(__name__)

CONCURRENT_WAIT_S = 10.0  # how long a second opening of a link waits for the first one's channel
LEASE_S = 60  # a claimed intent is not claimed again for this long (the call's worst case)
HORIZON = timedelta(days=1)
PAYMENTS = sql.qualified(Payment.__table__)


def payment_no_for(request: dict[str, Any]) -> str:
    """The number of the payment a `payment_requested` event asks for, derived from the event's
    id. A retry of that event (alone after its batch failed, or redelivered) offers the channel
    the same `out_trade_no`: the trade an earlier attempt opened there is taken up again, never
    left open beside a second one. Event ids are random UUIDs: the numbers are as unpredictable
    as random ones."""
    return "P" + hashlib.sha256(uuid.UUID(str(request["event_id"])).bytes).hexdigest()[:20].upper()


# Every order's path: plain SQL (services/common/sql.py)
EXISTING = f"SELECT payment_no, order_no, pay_url, channel, status FROM {PAYMENTS} WHERE order_no = %(order_no)s"
NEW = f"""INSERT INTO {PAYMENTS}
    (payment_no, order_no, channel, amount, currency, status, refunded_amount, chain_amount, last_checked_at)
VALUES (%(payment_no)s, %(order_no)s, %(channel)s, %(amount)s, %(currency)s, 'creating', 0, %(chain_amount)s,
        CASE WHEN %(claimed)s THEN now() END)
ON CONFLICT DO NOTHING RETURNING created_at"""
CLAIM = f"""UPDATE {PAYMENTS} SET last_checked_at = now() WHERE payment_no IN (
    SELECT payment_no FROM {PAYMENTS} WHERE status = 'creating' AND {{which}}
        AND (last_checked_at IS NULL OR last_checked_at < now() - make_interval(secs => %(lease_s)s))
    ORDER BY created_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING payment_no, order_no, channel, amount, currency, chain_amount, created_at"""
MINE = "order_no = ANY(%(orders)s)"
DUE = (
    "created_at < now() - make_interval(secs => %(lease_s)s) "
    "AND created_at > now() - make_interval(secs => %(horizon_s)s)"
)
STARTED = f"""UPDATE {PAYMENTS} SET status = 'pending', pay_url = %(pay_url)s, qr_code = %(qr_code)s,
    last_checked_at = NULL WHERE payment_no = %(payment_no)s AND status = 'creating'
RETURNING payment_no, order_no, pay_url, channel, status"""
RELEASE = f"UPDATE {PAYMENTS} SET last_checked_at = NULL WHERE payment_no = %(payment_no)s AND status = 'creating'"


def announce(session: Session, payment: Payment | Row[Any]) -> None:
    outbox.add(
        session,
        "payment_intent_created",
        {
            "order_no": payment.order_no,
            "payment_no": payment.payment_no,
            "pay_url": payment.pay_url,
            "channel": payment.channel,
        },
    )


def create(
    session: Session,
    envelope: dict[str, Any],
    channels: Mapping[str, Channel],
    again: Callable[[Session, Row[Any]], None] = announce,
    claimed: bool = False,
) -> Row[Any] | Payment:
    """Step 1 for one `payment_requested`: the intent, 'creating', under the payment number the
    order fixed at acceptance (or one derived from the event); `claimed`: leased to the caller,
    who asks its channel next (`start_now`). An order's intent made before is answered `again`
    (announced: the saga asks again) unless it is still being made. Answers the existing row, or
    the new Payment."""
    d = envelope["data"]
    existing = sql.run(session, EXISTING, {"order_no": d["order_no"]}).first()
    if existing is not None:
        if existing.status != "creating":
            again(session, existing)
        return existing
    payment = Payment(
        payment_no=d.get("payment_no") or payment_no_for(envelope),
        order_no=d["order_no"],
        channel=d["channel"],
        amount=d["amount"],
        currency=d["currency"],
        chain_amount=None,
    )
    channel = channels.get(payment.channel)
    if channel is not None and hasattr(channel, "base_amount"):
        payment.chain_amount = unique_amount(session, payment.channel, channel.base_amount(payment))
    created_at = sql.run(
        session,
        NEW,
        {
            **{c: getattr(payment, c) for c in ("payment_no", "order_no", "channel", "amount", "currency")},
            "chain_amount": payment.chain_amount,
            "claimed": claimed,
        },
    ).scalar()
    if created_at is None:  # made meanwhile by a call beside this one (a link opened twice at once)
        return sql.run(session, EXISTING, {"order_no": d["order_no"]}).one()
    payment.created_at = created_at
    return payment


UNIQUE_OFFSETS = 9999


def unique_amount(session: Session, channel: str, base: int) -> int:
    """`base` plus the smallest offset (1..9999 units) no other payment of this channel from the
    last day has: a transfer of that exact amount then names its payment. A paid payment keeps
    its amount for the day too: freed at once, a new payment could be settled by the transfer
    that paid the old one (the watcher looks a little before a payment's creation). Allocations
    are serialised per channel by a transaction-scoped advisory lock."""
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"payment.chain_amount:{channel}"})
    taken = set(
        session.scalars(
            select(Payment.chain_amount).where(
                Payment.channel == channel,
                Payment.created_at > func.now() - timedelta(days=1),
                Payment.chain_amount.between(base + 1, base + UNIQUE_OFFSETS),
            )
        )
    )
    for offset in range(1, UNIQUE_OFFSETS + 1):
        if base + offset not in taken:
            return base + offset
    raise Unavailable("too many payments of this amount in the last day; try again later", {"channel": channel})


def start_now(db: Db, channels: Mapping[str, Channel], public_url: str, request: dict[str, Any]) -> dict[str, Any]:
    """The intent of a payment number seen for the first time (`payment_requested` data from the
    order service): made leased to this call, its channel asked outside any transaction, the
    answer recorded, nothing published (the order fixed the pay link itself). Answers
    {payment_no, pay_url, channel}. A channel that fails raises Unavailable, the intent left
    'creating' with its lease given back: opening the link again (or the sweeper) asks again
    with the same number, so the channel takes up the trade it may have opened."""
    with db.transaction() as s:
        found = create(s, {"data": request}, channels, again=lambda session, payment: None, claimed=True)
    made: Row[Any] | None = None
    try:
        if isinstance(found, Payment):
            answer = ask_channel(channels, public_url, found)
        elif found.status == "creating":  # a failed try left it: ours to finish, unless leased
            finish(db, channels, public_url, [request["order_no"]], announced=False)
        else:
            made = found
    except Exception as exc:  # the channel's failure is its own
        if isinstance(found, Payment):
            with db.transaction() as s:
                sql.run(s, RELEASE, {"payment_no": found.payment_no})
        raise Unavailable("the channel did not start the payment", {"channel": request["channel"]}) from exc
    with db.transaction() as s:
        if isinstance(found, Payment):
            started = record(s, {found.payment_no: answer}, public_url, {}, announced=False)
            made = started[0] if started else sql.run(s, EXISTING, {"order_no": request["order_no"]}).first()
        elif made is None:
            made = sql.run(s, EXISTING, {"order_no": request["order_no"]}).first()
    deadline = time.monotonic() + CONCURRENT_WAIT_S
    while made is not None and made.status == "creating" and time.monotonic() < deadline:
        time.sleep(0.05)  # another call is asking the channel (the link opened twice at once)
        with db.transaction() as s:
            made = sql.run(s, EXISTING, {"order_no": request["order_no"]}).first()
    if made is None or made.status == "creating":  # still being made (paid or closed since: made)
        raise Unavailable("the payment is being made", {"order_no": request["order_no"]})
    return {"payment_no": made.payment_no, "pay_url": made.pay_url, "channel": made.channel}


def ask_channel(channels: Mapping[str, Channel], public_url: str, payment: Payment) -> dict[str, Any]:
    """The channel's `start_payment` (no transaction may be open): {pay_url, qr_code}, or {} for
    a channel not enabled (our own pay page then says it is unavailable)."""
    channel = channels.get(payment.channel)
    return channel.start_payment(payment, urls_for(public_url, channel.name, payment)) if channel else {}


def finish(
    db: Db,
    channels: Mapping[str, Channel],
    public_url: str,
    orders: Iterable[str] | None = None,
    correlations: Mapping[str, str | None] | None = None,
    batch: int = 50,
    announced: bool = True,
) -> list[str]:
    """Step 2 and 3 for the 'creating' intents of `orders` (an event handler: a failed channel
    releases its intent and is raised, so that the event is tried again), or for those left
    behind (`orders` None: the sweeper; a failed channel is asked again after LEASE_S).
    `correlations`: {order_no: correlation id} for the outbox rows. `announced`: each intent
    made is announced (`payment_intent_created`); not when the order asked by RPC."""
    which, params = (
        (MINE, {"orders": list(orders)}) if orders is not None else (DUE, {"horizon_s": HORIZON.total_seconds()})
    )
    with db.transaction() as s:
        claimed = [
            Payment(**row._mapping)
            for row in sql.run(s, CLAIM.format(which=which), {**params, "lease_s": LEASE_S, "limit": batch})
        ]
    if not claimed:
        return []
    answers, failed = {}, None
    for payment in claimed:  # no transaction is open here
        try:
            answers[payment.payment_no] = ask_channel(channels, public_url, payment)
        except Exception as exc:
            log.warning(
                "payment %s: channel %s did not start it: %s",
                payment.payment_no,
                payment.channel,
                type(exc).__name__,
                extra={"order_no": payment.order_no},
            )
            failed = failed or exc
    with db.transaction() as s:
        started = [row.payment_no for row in record(s, answers, public_url, correlations or {}, announced)]
        if orders is not None:
            for payment in claimed:
                if payment.payment_no not in answers:
                    sql.run(s, RELEASE, {"payment_no": payment.payment_no})
    if failed is not None and orders is not None:
        raise failed
    return started


def record(
    session: Session,
    answers: Mapping[str, dict[str, Any]],
    public_url: str,
    correlations: Mapping[str, str | None],
    announced: bool = True,
) -> list[Row[Any]]:
    """Step 3: what the channels answered ({payment_no: start_payment's dict}); an intent closed
    meanwhile stays closed. Returns the payments now pending (payment_no, order_no, pay_url,
    channel, status)."""
    started = []
    for payment_no, answer in answers.items():
        row = sql.run(
            session,
            STARTED,
            {
                "payment_no": payment_no,
                "qr_code": answer.get("qr_code"),
                "pay_url": answer.get("pay_url") or f"{public_url}/pay/{payment_no}",
            },
        ).first()
        if row is not None:
            if announced:
                session.info["correlation_id"] = correlations.get(row.order_no)
                announce(session, row)
            started.append(row)
    return started

"""Every notification, one way: queued with the event, sent after the commit, retried, never twice.

    pending --the channel accepted it--> sent        (e-mail switched off: off)
       |  refused, unreachable, or no answer within the deadline
       v
    pending again at next_try_at (backoff doubles) ... MAX_ATTEMPTS tries, then failed (counted)

- `queue` inserts one row per (event id, recipient, channel) in the transaction of the event's
  inbox row; the unique key makes a second insert a no-op, so a message is queued once.
- `claim` takes due rows FOR UPDATE SKIP LOCKED and leases each: a fresh `lease` token, a try
  counted, next_try_at moved LEASE_S ahead; that commits BEFORE anything is sent. `send_due`
  then speaks SMTP or HTTP outside any transaction, bounded by SEND_DEADLINE_S < LEASE_S, and
  `record` writes the answer in a second transaction only if the row still carries its lease.
  A replica's timer and the queuing handler both call `send_due`: whoever claims, sends.

The guarantee: each message is handed to its channel AT MOST ONCE PER LEASE. Two replicas never
send it at once: the second cannot claim a row that is locked or leased, and a send cannot outlive
its lease (the deadline). A crash after the claim and before the send leaves the row pending: it
is sent when the lease runs out. A crash after the channel accepted it and before `record` is the
one case that sends it again (after the lease, as the next try): every send carries the row's
key `notify-<id>` where the channel can use it (the e-mail's Message-ID; the generic webhook's
`Idempotency-Key` header and body `id`), so such a receiver can drop the repeat; WeCom, DingTalk
and Telegram take no key and would show it twice. Every send is a counted try, so a message is
sent at most MAX_ATTEMPTS times, whatever happens."""

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import eventlet
from prometheus_client import Counter
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common.crypto import DataKeys
from services.notify import channels, templates
from services.notify.models import Message, Target

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_S = 60  # a claimed message is not claimed again for this long
SEND_DEADLINE_S = 30  # a send is cut off after this (< LEASE_S: it never outlives its lease)
TIMEOUT_S = 10  # connect / each read
FIRST_TRY_S = 10  # a new message is first sent by the handler that queued it; the timer only after this
RETRY_S = 15  # first delay after a failed try; doubles per try

SENT = Counter("kameng_notifications_sent_total", "Notifications the channel accepted", ["channel"])
FAILED = Counter("kameng_notifications_failed_total", "Notifications given up after the last try", ["channel"])
TRIES_FAILED = Counter("kameng_notification_tries_failed_total", "Tries that failed (retried later)", ["channel"])


def key_of(message_id: int) -> str:
    return f"notify-{message_id}"


def queue(
    session: Session, event_id: str, recipient: str, channel: str, template: str, language: str, data: dict
) -> int | None:
    """The message, pending (once per event, recipient and channel): its id, or None if queued before."""
    return session.scalar(
        insert(Message)
        .values(
            event_id=event_id,
            recipient=recipient,
            channel=channel,
            template=template,
            language=templates.language_of(language),
            data=data,
            status="pending",
            attempts=0,
            next_try_at=func.now() + timedelta(seconds=FIRST_TRY_S),
        )
        .on_conflict_do_nothing(constraint="messages_once")
        .returning(Message.id)
    )


@dataclass(frozen=True)
class Claim:
    id: int
    lease: str
    channel: str
    recipient: str
    template: str
    language: str
    data: dict
    hook: channels.Hook | None  # a webhook's target, decrypted; None: e-mail, or the target is gone


def claim(session: Session, keys: DataKeys, ids: Iterable[int] | None = None, batch: int = 20) -> list[Claim]:
    """Due messages, leased to this caller (SKIP LOCKED: replica-safe). `ids`: the messages a
    handler just queued, sent at once before they are due (never tried yet)."""
    due = Message.next_try_at <= func.now()
    if ids is not None:
        due = Message.id.in_(list(ids)) & (due | (Message.attempts == 0))
    rows = session.scalars(
        select(Message)
        .where(Message.status == "pending", due)
        .order_by(Message.next_try_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    claims = []
    for m in rows:
        m.attempts, m.lease = m.attempts + 1, uuid.uuid4().hex
        m.next_try_at = func.now() + timedelta(seconds=LEASE_S)
        claims.append(
            Claim(m.id, m.lease, m.channel, m.recipient, m.template, m.language, m.data, _hook(session, keys, m))
        )
    return claims


def _hook(session: Session, keys: DataKeys, m: Message) -> channels.Hook | None:
    if m.channel != "webhook":
        return None
    target = session.get(Target, int(m.recipient.removeprefix("target:")))
    if target is None or not target.enabled:
        return None
    secret = keys.decrypt(target.secret) if target.secret else None
    return channels.Hook(target.format, keys.decrypt(target.url), secret, target.chat_id)


class TargetGone(Exception):
    """The webhook's target was removed or disabled after the message was queued."""


def send_due(
    db: Any, keys: DataKeys, config: Any, get_codes: Callable[[str], list], ids: Iterable[int] | None = None
) -> None:
    """Send the due messages (or those of `ids`) outside any transaction, then record each answer."""
    if ids is not None and not ids:
        return
    ids = list(ids) if ids is not None else None
    with db.transaction() as s:  # a handler's messages all at once; the timer's by batches
        due = claim(s, keys, ids, batch=max(20, len(ids or ())))
    answers = []
    for c in due:
        try:
            with eventlet.Timeout(SEND_DEADLINE_S):
                sent, error = send(c, config, get_codes), None
        except TargetGone:
            sent, error = False, None
        except (Exception, eventlet.Timeout) as exc:
            sent, error = False, type(exc).__name__
        answers.append((c, sent, error))
        if len(answers) >= RECORD_EVERY:  # a long batch does not keep every answer to its end
            _record_all(db, answers)
            answers = []
    _record_all(db, answers)


RECORD_EVERY = 20  # answers recorded in one transaction


def _record_all(db: Any, answers: list[tuple[Claim, bool, str | None]]) -> None:
    if answers:
        with db.transaction() as s:
            for c, sent, error in answers:
                record(s, c, sent, error)


def send(c: Claim, config: Any, get_codes: Callable[[str], list]) -> bool:
    values = dict(c.data)
    key = key_of(c.id)
    if c.template == "order_completed":
        values["link"] = f"{config.get('PUBLIC_URL', '')}/orders/{c.data['order_no']}"
        values["codes"] = get_codes(c.data["order_no"]) if config.get("MAIL_CODES") else None
    rendered = templates.render(c.template, c.language, values)
    if c.channel == "email":
        return channels.email(config, c.recipient, rendered, key, TIMEOUT_S)
    if c.hook is None:
        raise TargetGone()
    return channels.webhook(c.hook, rendered, key, c.template, c.language, c.data, TIMEOUT_S)


def record(session: Session, c: Claim, sent: bool, error: str | None = None) -> str | None:
    """The answer of the try `c` leased; None when that lease is no longer the row's (not recorded)."""
    m = session.get(Message, c.id, with_for_update=True, populate_existing=True)
    if m is None or m.lease != c.lease or m.status != "pending":
        log.warning("notification %s: the lease of this try was lost; its answer is not recorded", c.id)
        return None
    m.lease = None
    if error is None:
        m.status, m.next_try_at, m.error = ("sent" if sent else "off"), None, None
        m.sent_at = func.now() if sent else None
        if sent:
            SENT.labels(c.channel).inc()
        return m.status
    m.error = error
    if m.attempts >= MAX_ATTEMPTS:
        m.status, m.next_try_at = "failed", None
        FAILED.labels(c.channel).inc()
        log.error("notification %s (%s, %s) failed after %d tries: %s", c.id, c.template, c.channel, m.attempts, error)
    else:
        m.next_try_at = func.now() + timedelta(seconds=RETRY_S * 2 ** (m.attempts - 1))
        TRIES_FAILED.labels(c.channel).inc()
        log.warning("notification %s (%s, %s) not sent (try %d): %s", c.id, c.template, c.channel, m.attempts, error)
    return m.status

"""Buyers' mails (a one-time link to verify the e-mail or reset the password), on the same path
as the order mails (services/delivery/mailer.py): recorded 'pending' in the transaction that
makes the link, sent by services/common/mail.py after the commit, never inside a transaction;
due mails are claimed FOR UPDATE SKIP LOCKED and leased, so replicas never send one twice; a
refused send is tried again with a doubling delay, then given up (logged). The body holds the
link, so it is stored encrypted, and never logged."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.account.models import Mail
from services.common import mail
from services.common.crypto import DataKeys

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_S = 60
RETRY_S = 15


def queue(session: Session, keys: DataKeys, to: str, subject: str, body: str) -> None:
    session.add(Mail(to_address=to, subject=subject, body=keys.encrypt(body), next_try_at=func.now()))


def claim(session: Session, batch: int = 20) -> list[tuple[int, str, str, bytes]]:
    claimed = session.scalars(
        select(Mail)
        .where(Mail.status == "pending", Mail.next_try_at <= func.now())
        .order_by(Mail.next_try_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for m in claimed:
        m.attempts, m.next_try_at = m.attempts + 1, func.now() + timedelta(seconds=LEASE_S)
    return [(m.id, m.to_address, m.subject, bytes(m.body)) for m in claimed]


def send_due(db: Any, keys: DataKeys, config: dict[str, Any]) -> int:
    """Send what is due, outside any transaction, then record each answer. Answers how many."""
    with db.transaction() as s:
        due = claim(s)
    for mail_id, to, subject, body in due:
        try:
            sent = mail.send(
                config.get("SMTP_URL") or "",
                config.get("MAIL_FROM", "kameng <noreply@localhost>"),
                to,
                subject,
                keys.decrypt(body),
            )
            error = None
        except Exception as exc:
            sent, error = False, type(exc).__name__
        with db.transaction() as s:
            record(s, mail_id, sent, error)
    return len(due)


def record(session: Session, mail_id: int, sent: bool, error: str | None = None) -> None:
    m = session.get_one(Mail, mail_id, with_for_update=True)
    if error is None:
        m.status, m.next_try_at, m.error = ("sent" if sent else "off"), None, None
        m.sent_at = func.now() if sent else None
        return
    m.error = error
    if m.attempts >= MAX_ATTEMPTS:
        m.status, m.next_try_at = "failed", None
        log.error("account mail %s was not sent after %d tries: %s", mail_id, m.attempts, error)
    else:
        m.next_try_at = func.now() + timedelta(seconds=RETRY_S * 2 ** (m.attempts - 1))
        log.warning("account mail %s was not sent (try %d): %s", mail_id, m.attempts, error)

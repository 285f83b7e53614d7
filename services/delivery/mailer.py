"""The buyer's e-mail when an order completes: a link to the order page, and the codes only when
the merchant switched that on (KAMENG_MAIL_CODES=1). Codes never reach a log line or a table.

    pending --the SMTP server accepted it--> sent          (mail switched off: off)
       |  the server refused, or could not be reached
       v
    pending again at next_try_at (backoff doubles) ... MAX_ATTEMPTS, then failed (logged)

- `queue` records the mail, 'pending', in the transaction of the event's inbox row, and nothing
  else: SMTP is spoken after the commit, by `send_due`, never inside a transaction.
- `send_due` claims due mails with FOR UPDATE SKIP LOCKED and leases them (next_try_at moves on
  before the server is called), so replicas never send one mail at once; the answer is recorded
  in a second transaction. A crash before the send leaves the mail pending: the sweeper sends it
  when the lease runs out. Only a crash between the server's acceptance and that record sends
  a mail twice.
"""

import logging
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from services.common import mail
from services.common.money import format_minor
from services.delivery.models import Mail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE_S = 60  # a claimed mail is not claimed again for this long (the send's worst case)
FIRST_TRY_S = 10  # a new mail is first sent by the handler that queued it; the sweeper only after this
RETRY_S = 15  # first delay after a failed send; doubles per try


def codes_to_mail(config, order_no, get_codes):
    """The codes for the message, or None (the default): fetched outside any transaction."""
    return get_codes(order_no) if config.get("MAIL_CODES") else None


def message(data, public_url, codes=None):
    link = f"{public_url}/orders/{data['order_no']}"
    lines = [
        f"您的订单 {data['order_no']} 已完成 · Your order {data['order_no']} is complete.",
        f"{data['sku']} × {data['quantity']}, {format_minor(data['amount'])} {data['currency']}",
        "",
        f"查看卡密 · See your codes: {link}",
        "（需要下单时获得的订单令牌 · with the order token you received at checkout）",
    ]
    if codes:
        lines += ["", "卡密 · Codes:"] + [c["code"] + (f"  {c['secret']}" if c.get("secret") else "") for c in codes]
    return f"订单完成 · Order {data['order_no']} complete", "\n".join(lines) + "\n"


def queue(session, envelope):
    """`order_completed`: the buyer's mail, pending (once per order)."""
    d = envelope["data"]
    if d.get("payment_channel") == "wallet":  # an agent's order: the agent reads it by the open API
        return
    session.execute(
        insert(Mail)
        .values(
            order_no=d["order_no"],
            data=d,
            status="pending",
            attempts=0,
            next_try_at=func.now() + timedelta(seconds=FIRST_TRY_S),
        )
        .on_conflict_do_nothing()
    )


def claim(session, order_no=None, batch=20):
    """Due mails, leased to this worker (SKIP LOCKED: replica-safe): [(order_no, data)].
    `order_no`: the one mail its handler sends at once, before it is due (never tried yet)."""
    due = Mail.next_try_at <= func.now()
    if order_no is not None:
        due = (Mail.order_no == order_no) & (due | (Mail.attempts == 0))
    claimed = session.scalars(
        select(Mail)
        .where(Mail.status == "pending", due)
        .order_by(Mail.next_try_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for m in claimed:
        m.attempts, m.next_try_at = m.attempts + 1, func.now() + timedelta(seconds=LEASE_S)
    return [(m.order_no, m.data) for m in claimed]


def send_due(db, config, get_codes, order_no=None):
    """Send the due mails (or the one of `order_no`) outside any transaction, then record each answer."""
    with db.transaction() as s:
        due = claim(s, order_no)
    for number, data in due:
        try:
            codes = codes_to_mail(config, number, get_codes)
            subject, body = message(data, config.get("PUBLIC_URL", ""), codes)
            sent = mail.send(
                config.get("SMTP_URL"),
                config.get("MAIL_FROM", "kameng <noreply@localhost>"),
                data["contact"],
                subject,
                body,
            )
            error = None
        except Exception as exc:
            sent, error = False, type(exc).__name__
        with db.transaction() as s:
            record(s, number, sent, error)


def record(session, order_no, sent, error=None):
    m = session.get(Mail, order_no, with_for_update=True)
    if error is None:
        m.status, m.next_try_at, m.error = ("sent" if sent else "off"), None, None
        m.sent_at = func.now() if sent else None
        return m.status
    m.error = error
    if m.attempts >= MAX_ATTEMPTS:
        m.status, m.next_try_at = "failed", None
        log.error("the completion mail of %s was not sent after %d tries: %s", order_no, m.attempts, error)
    else:
        m.next_try_at = func.now() + timedelta(seconds=RETRY_S * 2 ** (m.attempts - 1))
        log.warning("the completion mail of %s was not sent (try %d): %s", order_no, m.attempts, error)
    return m.status

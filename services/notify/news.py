"""Who hears of what: each event handled here queues its messages (`sending.queue`) in the
transaction of the event's inbox row, one per recipient and channel.

- order.order_completed: the buyer's e-mail (not for an agent's wallet order: the agent reads it
  by the open API).
- support.ticket_opened: the buyer's acknowledgement e-mail; the staff webhooks on "support".
- support.ticket_replied: by staff, the buyer's e-mail; by the buyer, the staff webhooks.
- support.ticket_sla_warning / ticket_sla_breached: the staff webhooks on "support" and the
  support staff's e-mails (NOTIFY_STAFF_EMAILS).
- catalog.stock_low: the staff webhooks on "stock".
- supplier.supplier_availability_changed, when a supplier stops being usable: the webhooks on
  "supplier".
Buyers get their ticket's language; staff webhooks their target's; staff e-mails theirs."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.common.db import each
from services.notify import sending
from services.notify.models import Target

TOPICS = ("support", "stock", "supplier")


def staff_emails(config: Any) -> list[tuple[str, str]]:
    """NOTIFY_STAFF_EMAILS: "a@example.com,b@example.com:en" -> [(address, language)]."""
    found = []
    for item in config.get("NOTIFY_STAFF_EMAILS") or []:
        address, _, language = item.strip().partition(":")
        if address:
            found.append((address, language or "zh"))
    return found


def _buyer(session: Session, env: dict, template: str) -> list[int]:
    d = env["data"]
    queued = sending.queue(session, env["event_id"], d["contact"], "email", template, d.get("language", "zh"), d)
    return [queued] if queued else []


def _staff(session: Session, env: dict, topic: str, template: str, emails: Sequence[tuple[str, str]] = ()) -> list[int]:
    ids = []
    targets = session.scalars(select(Target).where(Target.enabled).order_by(Target.id)).all()
    for t in targets:
        if topic in t.topics:
            ids.append(
                sending.queue(session, env["event_id"], f"target:{t.id}", "webhook", template, t.language, env["data"])
            )
    for address, language in emails:
        ids.append(sending.queue(session, env["event_id"], address, "email", template, language, env["data"]))
    return [i for i in ids if i]


def order_completed(session: Session, env: dict) -> list[int]:
    if env["data"].get("payment_channel") == "wallet":
        return []
    return _buyer(session, env, "order_completed")


def each_order_completed(session: Session, envs: Sequence[dict]) -> list[int]:
    """`order_completed` for a batch of events (one commit): the messages queued."""
    return [queued for env in each(session, envs) for queued in order_completed(session, env)]


def ticket_opened(session: Session, env: dict) -> list[int]:
    return _buyer(session, env, "ticket_opened") + _staff(session, env, "support", "ticket_opened_staff")


def ticket_replied(session: Session, env: dict) -> list[int]:
    if env["data"]["by"] == "staff":
        return _buyer(session, env, "ticket_replied")
    return _staff(session, env, "support", "ticket_replied_staff")


def ticket_sla(session: Session, env: dict, config: Any) -> list[int]:
    return _staff(session, env, "support", env["type"], staff_emails(config))


def stock_low(session: Session, env: dict) -> list[int]:
    return _staff(session, env, "stock", "stock_low")


def supplier_availability_changed(session: Session, env: dict) -> list[int]:
    if env["data"].get("usable"):
        return []
    return _staff(session, env, "supplier", "supplier_unavailable")

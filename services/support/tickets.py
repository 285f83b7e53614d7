"""Tickets (issue 21): opened by an order's buyer (its token, or the signed-in member it belongs
to -- proved by the order service, services/support/parties.py), messages both ways, statuses,
assignment to support staff. Every change a person makes is announced through the outbox for the
notifications module (ticket_opened, ticket_replied) and staff changes are audited."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.common import audit, outbox
from services.common.envelope import isoformat
from services.common.errors import Conflict, NotFound
from services.support import attachments, sla
from services.support.models import Message, Ticket

CATEGORIES = ("code_invalid", "not_received", "recharge_failed", "refund_request", "other")
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("open", "waiting_on_buyer", "waiting_on_supplier", "resolved", "closed")
LANGUAGES = ("zh", "en")
EXCERPT = 140
QUEUE_LIMIT = 200


def new_id() -> str:
    return "T" + secrets.token_hex(8).upper()


def open_ticket(session: Session, party: dict[str, Any], new: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A ticket on the party's order, with its first message; the SLA clock starts now."""
    ticket = Ticket(
        ticket_id=new_id(),
        order_no=party["order_no"],
        buyer_id=party.get("buyer_id"),
        contact=party["contact"],
        language=new.get("language") or "zh",
        category=new["category"],
        priority=new.get("priority") or "normal",
        subject=new.get("subject") or new["message"][:80],
        status="open",
        updated_at=now,
    )
    sla.start(session, ticket, now)
    session.add(ticket)
    session.flush()
    session.add(Message(ticket_id=ticket.ticket_id, by="buyer", author="buyer", body=new["message"], at=now))
    outbox.add(
        session,
        "ticket_opened",
        {
            "ticket_id": ticket.ticket_id,
            "order_no": ticket.order_no,
            "category": ticket.category,
            "contact": ticket.contact,
            "language": ticket.language,
        },
    )
    session.flush()
    return view(session, ticket)


def lock(session: Session, ticket_id: str) -> Ticket:
    ticket = session.scalars(select(Ticket).where(Ticket.ticket_id == ticket_id).with_for_update()).first()
    if ticket is None:
        raise NotFound("no such ticket", {})
    return ticket


def for_party(session: Session, ticket_id: str, party: dict[str, Any], lock_it: bool = False) -> Ticket:
    """The ticket when it is on the party's order; 404 like an unknown ticket otherwise."""
    query = select(Ticket).where(Ticket.ticket_id == ticket_id, Ticket.order_no == party["order_no"])
    ticket = session.scalars(query.with_for_update() if lock_it else query).first()
    if ticket is None:
        raise NotFound("no such ticket", {})
    return ticket


def buyer_reply(session: Session, ticket_id: str, party: dict[str, Any], body: str, now: datetime) -> dict[str, Any]:
    ticket = for_party(session, ticket_id, party, lock_it=True)
    if ticket.status == "closed":
        raise Conflict("the ticket is closed; open a new one", {"status": ticket.status})
    if ticket.status in ("waiting_on_buyer", "resolved"):
        ticket.status = "open"  # the buyer's answer puts it back in the queue
    add_message(session, ticket, "buyer", "buyer", body, now)
    return view(session, ticket)


def staff_reply(session: Session, ticket_id: str, staff: dict[str, Any], body: str, now: datetime) -> dict[str, Any]:
    ticket = lock(session, ticket_id)
    if ticket.status == "closed":
        raise Conflict("the ticket is closed", {"status": ticket.status})
    sla.answered(ticket, now)
    if ticket.status == "open":
        ticket.status = "waiting_on_buyer"
    add_message(session, ticket, "staff", staff["name"], body, now)
    audit.record(session, staff["actor"], "support.ticket_replied", ticket.ticket_id, {})
    return view(session, ticket)


def add_message(session: Session, ticket: Ticket, by: str, author: str, body: str, now: datetime) -> None:
    session.add(Message(ticket_id=ticket.ticket_id, by=by, author=author, body=body, at=now))
    ticket.updated_at = now
    outbox.add(
        session,
        "ticket_replied",
        {
            "ticket_id": ticket.ticket_id,
            "by": by,
            "contact": ticket.contact,
            "language": ticket.language,
            "excerpt": body[:EXCERPT],
        },
    )


def set_status(session: Session, ticket_id: str, staff: dict[str, Any], status: str, now: datetime) -> dict[str, Any]:
    ticket = lock(session, ticket_id)
    before = ticket.status
    if status in ("resolved", "closed"):
        sla.answered(ticket, now)  # settling a ticket is an answer too: the clock stops
    ticket.status, ticket.updated_at = status, now
    audit.record(
        session, staff["actor"], "support.ticket_status", ticket.ticket_id, {"before": before, "after": status}
    )
    return view(session, ticket)


def assign(session: Session, ticket_id: str, staff: dict[str, Any], to: dict[str, Any] | None, now: datetime) -> dict:
    """Assign the ticket to a support staff member (None: unassign)."""
    ticket = lock(session, ticket_id)
    before = ticket.assignee
    ticket.assignee_id, ticket.assignee = (to["id"], to["name"]) if to else (None, None)
    ticket.updated_at = now
    audit.record(
        session,
        staff["actor"],
        "support.ticket_assigned",
        ticket.ticket_id,
        {"before": before, "after": ticket.assignee},
    )
    return view(session, ticket)


def messages(session: Session, ticket_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id))
    return [{"id": m.id, "by": m.by, "author": m.author, "body": m.body, "at": isoformat(m.at)} for m in rows]


def summary(ticket: Ticket) -> dict[str, Any]:
    when = {k: getattr(ticket, k) for k in ("opened_at", "warn_at", "due_at", "first_response_at", "updated_at")}
    return {
        "ticket_id": ticket.ticket_id,
        "order_no": ticket.order_no,
        "category": ticket.category,
        "priority": ticket.priority,
        "subject": ticket.subject,
        "status": ticket.status,
        "language": ticket.language,
        "assignee_id": ticket.assignee_id,
        "assignee": ticket.assignee,
        "sla": ticket.sla,
        "escalated": ticket.escalated,
        "warned": ticket.warned_at is not None,
        **{k: isoformat(v) if v else None for k, v in when.items()},
    }


def view(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The ticket with its messages and attachments (what its parties see; staff see `contact` too)."""
    return {
        **summary(ticket),
        "contact": ticket.contact,
        "messages": messages(session, ticket.ticket_id),
        "attachments": attachments.listed(session, ticket.ticket_id),
    }


def get(session: Session, ticket_id: str) -> dict[str, Any]:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("no such ticket", {})
    return view(session, ticket)


def queue(session: Session, query: dict[str, Any]) -> list[dict[str, Any]]:
    """The support queue: escalated first, then by due time; by default the tickets not settled."""
    statuses = [query["status"]] if query.get("status") else list(sla.OPEN)
    where = [Ticket.status.in_(statuses)]
    if query.get("escalated"):
        where.append(Ticket.escalated.is_(True))
    if query.get("assignee_id"):
        where.append(Ticket.assignee_id == query["assignee_id"])
    if query.get("order_no"):
        where.append(Ticket.order_no == query["order_no"])
    rows = session.scalars(
        select(Ticket).where(*where).order_by(Ticket.escalated.desc(), Ticket.due_at).limit(QUEUE_LIMIT)
    )
    return [summary(t) for t in rows]


def of_order(session: Session, party: dict[str, Any]) -> list[dict[str, Any]]:
    rows = session.scalars(select(Ticket).where(Ticket.order_no == party["order_no"]).order_by(Ticket.opened_at))
    return [summary(t) for t in rows]


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    return {str(status): int(n) for status, n in rows}

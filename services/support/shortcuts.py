"""Shortcuts for the common cases (issue 21). A `code_invalid` ticket shows the codes delivered to
its order (masked; revealed only by an audited action) and, in one action, either replaces a code
from stock (the catalog retires it and sells the order a fresh one) or refunds the order (the order
service's refund saga, as the console's refund). A `recharge_failed` ticket shows the supplier
attempts. Nothing here edits another service's rows: each action is that service's RPC, asked
outside any transaction, and recorded afterwards as a message on the ticket."""

from typing import Any

from sqlalchemy.orm import Session

from services.common import audit
from services.common.errors import Conflict
from services.support import sla, tickets
from services.support.models import Ticket

CODE_INVALID, RECHARGE_FAILED = "code_invalid", "recharge_failed"
REFUNDABLE = (CODE_INVALID, "not_received", RECHARGE_FAILED, "refund_request")


def actionable(session: Session, ticket_id: str, categories: tuple[str, ...]) -> dict[str, Any]:
    """{"order_no", "category"} of a ticket the shortcut applies to (not closed, of `categories`)."""
    ticket = tickets.lock(session, ticket_id)
    if ticket.status == "closed":
        raise Conflict("the ticket is closed", {"status": ticket.status})
    if ticket.category not in categories:
        raise Conflict("this shortcut is not for this ticket's category", {"category": ticket.category})
    return {"order_no": ticket.order_no, "category": ticket.category}


def record(session: Session, ticket_id: str, staff: dict[str, Any], action: str, body: str, data: dict, now) -> dict:
    """The action done, as the staff member's message on the ticket (an answer: the SLA clock
    stops) and an audit row; the ticket waits on the buyer to confirm."""
    ticket: Ticket = tickets.lock(session, ticket_id)
    sla.answered(ticket, now)
    if ticket.status in ("open", "waiting_on_supplier"):
        ticket.status = "waiting_on_buyer"
    tickets.add_message(session, ticket, "staff", staff["name"], body, now)
    audit.record(session, staff["actor"], action, ticket.ticket_id, data)
    return tickets.view(session, ticket)


def replaced_message(language: str, reason: str) -> str:
    if language == "en":
        return f"We replaced the code on your order with a new one; your order page shows it. ({reason})"
    return f"我们已为您的订单更换了新的卡密，请在订单页面查看。（{reason}）"


def refunded_message(language: str, reason: str) -> str:
    if language == "en":
        return f"We refunded your order. ({reason})"
    return f"您的订单已退款。（{reason}）"

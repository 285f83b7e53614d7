"""The SLA clock (issue 21): a first answer is due `respond_s` after a ticket opens (60 min unless
a policy for its category and priority says otherwise), with a warning at `warn_s` (45 min).

The clock runs 7x24: `due_at` and `warn_at` are fixed at opening from the policy in force then.
`tick` is the timer's work and is safe with any number of replicas: each step is one conditional
UPDATE ... RETURNING, so a ticket is warned (and escalated) by exactly one of them, once -- a
second replica's UPDATE re-checks `warned_at IS NULL` (or `sla = 'pending'`) under the row lock
and finds nothing. `now` is passed in so tests drive the clock."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit, outbox
from services.common.db import after_commit
from services.common.envelope import isoformat
from services.support import metrics
from services.support.models import SlaPolicy, Ticket

RESPOND_S, WARN_S = 3600, 2700  # the default policy: answer within 60 min, warn at 45
ANY = "*"
OPEN = ("open", "waiting_on_buyer", "waiting_on_supplier")  # a first answer is still owed in these


def now_utc() -> datetime:
    return datetime.now(UTC)


def policy_for(session: Session, category: str, priority: str) -> tuple[int, int]:
    """(respond_s, warn_s): the most specific policy -- (category, priority), (category, *),
    (*, priority), (*, *) -- or the default."""
    rows = {
        (p.category, p.priority): (p.respond_s, p.warn_s)
        for p in session.scalars(
            select(SlaPolicy).where(SlaPolicy.category.in_([category, ANY]), SlaPolicy.priority.in_([priority, ANY]))
        )
    }
    for key in ((category, priority), (category, ANY), (ANY, priority), (ANY, ANY)):
        if key in rows:
            return rows[key]
    return RESPOND_S, WARN_S


def start(session: Session, ticket: Ticket, now: datetime) -> None:
    respond_s, warn_s = policy_for(session, ticket.category, ticket.priority)
    ticket.opened_at = now
    ticket.warn_at = now + timedelta(seconds=warn_s)
    ticket.due_at = now + timedelta(seconds=respond_s)


def answered(ticket: Ticket, now: datetime) -> None:
    """The staff's first answer stops the clock: met if in time, breached otherwise (counted
    here when the timer had not got to it yet). Later answers change nothing."""
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = now
    metrics.FIRST_RESPONSE.labels(ticket.category).observe(max(0.0, (now - ticket.opened_at).total_seconds()))
    if ticket.sla == "pending":
        if now <= ticket.due_at:
            ticket.sla = "met"
        else:
            ticket.sla, ticket.breached_at = "breached", now
            metrics.SLA_BREACHES.labels(ticket.category).inc()


def alert(ticket: Any) -> dict[str, Any]:
    return {
        "ticket_id": ticket.ticket_id,
        "category": ticket.category,
        "priority": ticket.priority,
        "due_at": isoformat(ticket.due_at),
        "assignee": ticket.assignee,
    }


def tick(session: Session, now: datetime | None = None) -> dict[str, list[str]]:
    """Warn the tickets past their warning time, escalate those past due; each once.
    {"warned": [...], "breached": [...]} (ticket ids)."""
    now = now or now_utc()
    waiting = (Ticket.first_response_at.is_(None), Ticket.status.in_(OPEN))
    columns = (Ticket.ticket_id, Ticket.category, Ticket.priority, Ticket.due_at, Ticket.assignee)
    warned = session.execute(
        update(Ticket)
        .where(*waiting, Ticket.warned_at.is_(None), Ticket.sla == "pending", Ticket.warn_at <= now)
        .values(warned_at=now, updated_at=now)
        .returning(*columns)
    ).all()
    breached = session.execute(
        update(Ticket)
        .where(*waiting, Ticket.sla == "pending", Ticket.due_at <= now)
        .values(sla="breached", breached_at=now, escalated=True, updated_at=now)
        .returning(*columns)
    ).all()
    for row in warned:
        outbox.add(session, "ticket_sla_warning", alert(row))
    for row in breached:
        outbox.add(session, "ticket_sla_breached", alert(row))
    categories = [r.category for r in breached]
    warnings = [r.category for r in warned]
    after_commit(session, lambda: count(warnings, categories))
    return {"warned": [r.ticket_id for r in warned], "breached": [r.ticket_id for r in breached]}


def count(warned: list[str], breached: list[str]) -> None:
    for category in warned:
        metrics.SLA_WARNINGS.labels(category).inc()
    for category in breached:
        metrics.SLA_BREACHES.labels(category).inc()


def policies(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(SlaPolicy).order_by(SlaPolicy.category, SlaPolicy.priority))
    found = [policy_view(p) for p in rows]
    if not any(p["category"] == ANY and p["priority"] == ANY for p in found):
        found.append({"category": ANY, "priority": ANY, "respond_s": RESPOND_S, "warn_s": WARN_S, "default": True})
    return found


def policy_view(p: SlaPolicy) -> dict[str, Any]:
    return {"category": p.category, "priority": p.priority, "respond_s": p.respond_s, "warn_s": p.warn_s}


def set_policy(session: Session, actor: str, policy: dict[str, Any]) -> dict[str, Any]:
    """Set the policy of a (category, priority) pair (either may be "*"); applies to tickets
    opened from now on. Audited with the value before."""
    key = {"category": policy["category"], "priority": policy["priority"]}
    before = session.get(SlaPolicy, (key["category"], key["priority"]))
    values = {**key, "respond_s": policy["respond_s"], "warn_s": policy["warn_s"], "updated_by": actor}
    session.execute(
        insert(SlaPolicy)
        .values(**values)
        .on_conflict_do_update(index_elements=["category", "priority"], set_={**values, "updated_at": now_utc()})
    )
    audit.record(
        session,
        actor,
        "support.sla_policy_set",
        f"{key['category']}/{key['priority']}",
        {"before": policy_view(before) if before else None, "after": policy},
    )
    return {**policy}

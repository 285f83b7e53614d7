"""The SLA clock on real PostgreSQL with a clock the test drives: the warning fires at 45 min and
the breach (escalation) at 60, each once -- also with two timers at it at the same moment -- and a
ticket answered in time is met and never warned again."""

from datetime import UTC, datetime, timedelta

import eventlet
from prometheus_client import REGISTRY
from sqlalchemy import select

from services.common.db import transaction
from services.common.testing import unique
from services.support import sla, tickets
from services.support.models import Ticket, metadata

OUTBOX = metadata.tables["support.outbox"]
T0 = datetime(2030, 1, 7, 2, 0, tzinfo=UTC)
STAFF = {"actor": "staff:1 sam@example.com (support) from 127.0.0.1", "name": "Sam", "staff_id": 1}


def opened(engine, at=T0, category="code_invalid", priority="normal"):
    party = {"order_no": unique("ORD"), "contact": "buyer@example.com", "buyer_id": None}
    new = {"category": category, "message": "the code does not work", "priority": priority, "language": "en"}
    with transaction(engine, metadata) as s:
        return tickets.open_ticket(s, party, new, at)["ticket_id"]


def tick(engine, minutes):
    with transaction(engine, metadata) as s:
        return sla.tick(s, T0 + timedelta(minutes=minutes))


def events(engine, ticket_id):
    with transaction(engine, metadata) as s:
        rows = s.execute(select(OUTBOX.c.type, OUTBOX.c.envelope).order_by(OUTBOX.c.id)).all()
    return [t for t, env in rows if env["data"]["ticket_id"] == ticket_id]


def ticket(engine, ticket_id):
    with transaction(engine, metadata) as s:
        found = s.get(Ticket, ticket_id)
        return found.sla, found.escalated, found.warned_at, found.breached_at


def breaches(category):
    return REGISTRY.get_sample_value("kameng_ticket_sla_breaches_total", {"category": category}) or 0


def test_warning_at_45_and_breach_at_60_each_once(engine):
    ticket_id = opened(engine)
    assert ticket_id not in tick(engine, 44.9)["warned"]
    assert ticket_id in tick(engine, 45)["warned"]
    assert ticket_id not in tick(engine, 50)["warned"]  # once
    assert ticket(engine, ticket_id)[:2] == ("pending", False)
    assert ticket_id not in tick(engine, 59.9)["breached"]
    # counted from here: any ticket other tests left open before T0 (the database is the run's)
    # has breached by now, not in the tick below
    before = breaches("code_invalid")
    assert ticket_id in tick(engine, 60)["breached"]
    assert ticket_id not in tick(engine, 90)["breached"] + tick(engine, 90)["warned"]
    state, escalated, warned_at, breached_at = ticket(engine, ticket_id)
    assert (state, escalated) == ("breached", True)
    assert warned_at == T0 + timedelta(minutes=45) and breached_at == T0 + timedelta(minutes=60)
    assert events(engine, ticket_id) == ["ticket_opened", "ticket_sla_warning", "ticket_sla_breached"]
    assert breaches("code_invalid") == before + 1
    with transaction(engine, metadata) as s:  # a late answer keeps the breach and counts nothing more
        tickets.staff_reply(s, ticket_id, STAFF, "sorry for the wait", T0 + timedelta(minutes=95))
    assert ticket(engine, ticket_id)[0] == "breached" and breaches("code_invalid") == before + 1


def test_answered_in_time_is_met_and_never_warned(engine):
    ticket_id = opened(engine, category="not_received")
    with transaction(engine, metadata) as s:
        view = tickets.staff_reply(s, ticket_id, STAFF, "we are on it", T0 + timedelta(minutes=30))
    assert view["status"] == "waiting_on_buyer" and view["sla"] == "met"
    assert ticket_id not in tick(engine, 45)["warned"] and ticket_id not in tick(engine, 61)["breached"]
    assert events(engine, ticket_id) == ["ticket_opened", "ticket_replied"]


def test_two_timers_at_once_warn_and_escalate_once(engine):
    ticket_id = opened(engine, category="other")
    results = [eventlet.spawn(tick, engine, 61) for _ in range(2)]
    found = [r.wait() for r in results]
    assert sum(ticket_id in f["warned"] for f in found) == 1
    assert sum(ticket_id in f["breached"] for f in found) == 1
    assert events(engine, ticket_id) == ["ticket_opened", "ticket_sla_warning", "ticket_sla_breached"]


def test_a_policy_per_category_and_priority_sets_the_clock(engine):
    with transaction(engine, metadata) as s:
        sla.set_policy(
            s, STAFF["actor"], {"category": "refund_request", "priority": "urgent", "respond_s": 900, "warn_s": 600}
        )
    ticket_id = opened(engine, category="refund_request", priority="urgent")
    other = opened(engine, category="refund_request", priority="low")
    assert ticket_id in tick(engine, 10)["warned"] and other not in tick(engine, 10)["warned"]
    assert ticket_id in tick(engine, 15)["breached"]
    assert other not in tick(engine, 15)["breached"]

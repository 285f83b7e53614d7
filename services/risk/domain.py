"""Risk assessment: every order gets a decision (approve, review, reject) with a score and the
rules that fired, stored, and the event the saga waits for. Rules and lists live in this
service's tables and are read on every assessment, so a change takes effect at once on every
replica; counters live in Redis (`counters.py`).

Redis unavailable: the counter rules are skipped for that order and the decision says so
(rule `counters_unavailable`, score 0); blacklists, allowlists and value rules still apply.
Selling beats refusing every order while a cache is down."""

import ipaddress
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import redis
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from services.common import audit, metrics, outbox, sql
from services.common.db import after_commit
from services.common.envelope import isoformat
from services.common.errors import Conflict, NotFound
from services.risk import rules as engine
from services.risk.counters import Counters
from services.risk.models import Decision, KnownContact, ListEntry, RuleSet

log = logging.getLogger(__name__)

EVENTS = {"approve": "risk_approved", "review": "risk_review", "reject": "risk_rejected"}
LISTS = {"blacklist": "block", "allowlist": "allow"}


def assess(
    session: Session,
    envelope: dict[str, Any],
    counters: Counters,
    review_s: float,
    window_s: float,
    announce: bool = True,
) -> dict[str, Any]:
    """The saga's risk step. A repeat for an order already decided answers the same decision
    (its counters are not counted twice: ZADD NX). Answers the event the saga waits for,
    {"type", "data"}; `announce`: it is also published (the request came by event; an order's
    creation asking by RPC has the answer instead)."""
    started = time.perf_counter()
    signals = envelope["data"]
    if signals.get("contact"):  # e-mail addresses compare case-insensitively
        signals = {**signals, "contact": signals["contact"].lower()}
    version, rule_set, listed = rules_and_lists(session, signals)
    counts: dict[engine.Series, int]
    notes: list[engine.Fired]
    counts, unpaid, notes = {}, 0, []
    if not listed:
        try:
            counts, unpaid = counters.observe(
                signals["order_no"], engine.series(rule_set, signals), signals.get("contact"), window_s
            )
        except redis.RedisError:
            log.warning("risk counters unavailable (Redis); counter rules skipped")
            notes = [engine.Fired("counters_unavailable", "counters unavailable", "score", 0)]
    known = not rule_set["new_contact"] or is_known(session, signals.get("contact"))
    outcome, score, fired = engine.evaluate(rule_set, signals, counts, unpaid, known, listed)
    decision = _store(
        session,
        {
            "order_no": signals["order_no"],
            "outcome": outcome,
            "score": score,
            "signals": signals,
            "rules_version": version,
            "rules": [f._asdict() for f in fired + notes],
            "hold_until": datetime.now(UTC) + timedelta(seconds=review_s) if outcome == "review" else None,
        },
    )
    if signals.get("contact") and decision["outcome"] in ("reject", "review"):
        _unpaid(counters, decision["outcome"], signals["contact"], signals["order_no"], review_s + window_s)
    event_type, data = EVENTS[decision["outcome"]], _event(decision, review_s, window_s)
    if announce:
        outbox.add(session, event_type, data)
    metrics.RISK_ASSESSMENT_SECONDS.observe(time.perf_counter() - started)
    return {"type": event_type, "data": data}


# The assessment, every order's, in plain SQL (services/common/sql.py)
DECISIONS = sql.qualified(Decision.__table__)
STORE = f"""INSERT INTO {DECISIONS} (order_no, outcome, score, signals, rules_version, rules, hold_until)
VALUES (%(order_no)s, %(outcome)s, %(score)s, %(signals)s::jsonb, %(rules_version)s, %(rules)s::jsonb,
        %(hold_until)s)
ON CONFLICT DO NOTHING RETURNING order_no"""
RULES = f"SELECT version, rules FROM {sql.qualified(RuleSet.__table__)} ORDER BY version DESC LIMIT 1"
# both reads of an assessment in one round trip: the rules in force and the list entries matched
RULES_AND_LISTED = f"""SELECT r.version, r.rules,
       ARRAY(SELECT ARRAY[l.list, l.kind, l.value] FROM {sql.qualified(ListEntry.__table__)} AS l
             WHERE (l.kind, l.value) IN (SELECT * FROM unnest(%(kinds)s::text[], %(values)s::text[]))
                OR (%(ip)s::inet IS NOT NULL AND l.network >>= %(ip)s::inet)) AS listed
FROM (SELECT 1) AS one LEFT JOIN LATERAL ({RULES}) AS r ON true"""
KNOWN = f"INSERT INTO {sql.qualified(KnownContact.__table__)} (contact) VALUES (%(contact)s) ON CONFLICT DO NOTHING"


def _store(session: Session, decision: dict[str, Any]) -> Mapping[Any, Any]:
    """The decision row; for an order decided before, the first decision (and no new metrics)."""
    params = {**decision, "signals": json.dumps(decision["signals"]), "rules": json.dumps(decision["rules"])}
    if sql.run(session, STORE, params).first() is not None:
        after_commit(session, partial(_count, decision))  # once committed: a retried batch counts once
        return decision
    return (
        session.execute(
            select(Decision.order_no, Decision.outcome, Decision.score, Decision.rules).where(
                Decision.order_no == decision["order_no"]
            )
        )
        .mappings()
        .one()
    )


def _event(decision: Mapping[Any, Any], review_s: float, window_s: float) -> dict[str, Any]:
    data = {
        "order_no": decision["order_no"],
        "score": decision["score"],
        "rules": [{"rule": r["rule"], "reason": r["reason"]} for r in decision["rules"]],
    }
    if decision["outcome"] == "reject":
        data["reason"] = "risk"  # what the order keeps; the buyer sees a neutral word
    if decision["outcome"] == "review":  # the stock is held through the review and a payment window
        data.update(hold_s=review_s, reserve_s=review_s + window_s + 300)
    return data


def _count(decision: Mapping[str, Any]) -> None:
    metrics.RISK_DECISIONS.labels(decision["outcome"]).inc()
    for fired in decision["rules"]:
        metrics.RISK_RULES_FIRED.labels(fired["rule"], decision["outcome"]).inc()


def _settle(counters: Counters, contact: str, order_no: str) -> None:
    _unpaid(counters, "reject", contact, order_no)


def _unpaid(counters: Counters, outcome: str, contact: str, order_no: str, hold_s: float = 0) -> None:
    """A rejected order never counts as unpaid; one held for review counts through its review."""
    try:
        if outcome == "review":
            counters.hold(contact, order_no, hold_s)
        else:
            counters.settled(contact, order_no)
    except redis.RedisError:
        log.warning("risk counters unavailable (Redis); unpaid order left to its window")


def current_rules(session: Session) -> tuple[int, dict[str, Any]]:
    """(version, rules); version 0 is the built-in default (nothing configured)."""
    row = sql.run(session, RULES, {}).first()
    return (row.version, {**engine.DEFAULT_RULES, **row.rules}) if row else (0, dict(engine.DEFAULT_RULES))


def rules_and_lists(
    session: Session, signals: Mapping[str, Any]
) -> tuple[int, dict[str, Any], list[tuple[str, str, str]]]:
    """(version, rules, the (list, kind, value) entries that match the order's signals, CIDRs
    included): `current_rules` and the lists in one statement (every order's assessment)."""
    pairs = engine.list_candidates(signals)
    ip = signals["ip"] if signals.get("ip") and _is_ip(signals["ip"]) else None
    params = {"kinds": [k for k, _ in pairs], "values": [v for _, v in pairs], "ip": ip}
    row = sql.run(session, RULES_AND_LISTED, params).one()
    listed = [(entry[0], entry[1], entry[2]) for entry in row.listed]
    if row.version is None:
        return 0, dict(engine.DEFAULT_RULES), listed
    return row.version, {**engine.DEFAULT_RULES, **row.rules}, listed


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        return False


def is_known(session: Session, contact: str | None) -> bool:
    if not contact:
        return False
    return (
        session.execute(select(KnownContact.contact).where(KnownContact.contact == contact.lower())).first() is not None
    )


def on_payment_succeeded(session: Session, envelope: dict[str, Any], counters: Counters) -> None:
    """A paid order: its contact is known from now on, and it no longer counts as unpaid."""
    contact = on_order_settled(session, envelope, counters)
    if contact:
        sql.run(session, KNOWN, {"contact": contact})


def on_order_settled(session: Session, envelope: dict[str, Any], counters: Counters) -> str | None:
    """A paid order, or one whose stock goes back (cancel, expiry, review rejected): it no longer
    counts as unpaid. Answers the order's contact (None for an order risk never saw)."""
    order_no = envelope["data"]["order_no"]
    contact = sql.run(
        session, f"SELECT signals ->> 'contact' FROM {DECISIONS} WHERE order_no = %(order_no)s", {"order_no": order_no}
    ).scalar()
    if contact:
        _settle(counters, contact, order_no)
    return contact


def set_rules(session: Session, actor: str, rule_set: dict[str, Any]) -> dict[str, Any]:
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext('risk.rule_sets'))"))
    version = (session.scalar(select(func.max(RuleSet.version))) or 0) + 1
    before = session.scalar(select(RuleSet.rules).where(RuleSet.version == version - 1))
    row = RuleSet(version=version, rules=rule_set, actor=actor)
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "risk.rules.set", str(version), {"rules": rule_set, "before": before, "after": rule_set}
    )
    return rules_view(session)


def rules_view(session: Session) -> dict[str, Any]:
    version, rule_set = current_rules(session)
    row = session.get(RuleSet, version) if version else None
    return {"version": version, "rules": rule_set, "actor": row and row.actor, "at": row and isoformat(row.at)}


def rule_versions(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(select(RuleSet).order_by(RuleSet.version.desc()).limit(limit))
    return [{"version": r.version, "rules": r.rules, "actor": r.actor, "at": isoformat(r.at)} for r in rows]


def add_entry(session: Session, actor: str, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    network = entry["value"] if entry["kind"] == "cidr" else None
    added = session.scalars(
        insert(ListEntry)
        .values(
            list=LISTS[name],
            kind=entry["kind"],
            value=entry["value"],
            network=network,
            note=entry.get("note"),
            actor=actor,
        )
        .on_conflict_do_nothing()
        .returning(ListEntry)
    ).first()
    if added is None:
        raise Conflict(f"already on the {name}", {"kind": entry["kind"], "value": entry["value"]})
    audit.record(session, actor, f"risk.{name}.add", f"{entry['kind']}:{entry['value']}", {"id": added.id})
    return entry_view(added)


def remove_entry(session: Session, actor: str, name: str, entry_id: int) -> dict[str, Any]:
    removed = session.scalars(
        delete(ListEntry).where(ListEntry.id == entry_id, ListEntry.list == LISTS[name]).returning(ListEntry)
    ).first()
    if removed is None:
        raise NotFound(f"no such {name} entry", {"id": entry_id})
    audit.record(session, actor, f"risk.{name}.remove", f"{removed.kind}:{removed.value}", {"id": entry_id})
    return entry_view(removed)


def entries(session: Session, name: str, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ListEntry).where(ListEntry.list == LISTS[name]).order_by(ListEntry.id.desc()).limit(limit)
    )
    return [entry_view(r) for r in rows]


def entry_view(entry: ListEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "value": entry.value,
        "note": entry.note,
        "actor": entry.actor,
        "at": isoformat(entry.at),
    }


def decision_view(decision: Decision) -> dict[str, Any]:
    return {
        "order_no": decision.order_no,
        "outcome": decision.outcome,
        "score": decision.score,
        "rules": decision.rules,
        "rules_version": decision.rules_version,
        "signals": decision.signals,
        "at": isoformat(decision.at),
        "hold_until": decision.hold_until and isoformat(decision.hold_until),
        "resolution": decision.resolution,
        "reviewed_by": decision.reviewed_by,
        "reviewed_at": decision.reviewed_at and isoformat(decision.reviewed_at),
        "note": decision.note,
    }


def decision_of(session: Session, order_no: str) -> dict[str, Any] | None:
    decision = session.get(Decision, order_no)
    return decision_view(decision) if decision else None


def open_reviews(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Orders waiting for an admin, oldest first; a review past its window has been released."""
    rows = session.scalars(
        select(Decision)
        .where(Decision.outcome == "review", Decision.resolution.is_(None), Decision.hold_until > func.now())
        .order_by(Decision.at)
        .limit(limit)
    )
    return [decision_view(r) for r in rows]


def resolve(
    session: Session, actor: str, order_no: str, approve: bool, note: str | None, window_s: float
) -> dict[str, Any]:
    """An admin's verdict on a held order: review_approved (payment window starts now) or
    review_rejected (stock released), with an audit row."""
    decision = session.get(Decision, order_no, with_for_update=True, populate_existing=True)
    if decision is None or decision.outcome != "review":
        raise NotFound("no review for this order", {"order_no": order_no})
    if decision.resolution is not None:
        raise Conflict(f"already {decision.resolution}", {"resolution": decision.resolution})
    assert decision.hold_until is not None  # a review always has its window (assess sets it)
    if decision.hold_until <= datetime.now(UTC):
        raise Conflict("the review window has passed and the order was released", {"order_no": order_no})
    decision.resolution = "approved" if approve else "rejected"
    decision.reviewed_by, decision.reviewed_at, decision.note = actor, func.now(), note
    audit.record(session, actor, f"risk.review.{'approve' if approve else 'reject'}", order_no, {"note": note})
    if approve:
        outbox.add(session, "review_approved", {"order_no": order_no, "by": actor, "window_s": window_s})
    else:
        outbox.add(session, "review_rejected", {"order_no": order_no, "by": actor, "reason": "risk"})
    session.flush()
    return decision_view(decision)


def assess_referral(facts: dict[str, Any]) -> dict[str, Any]:
    """A referral the account service is about to record (issue 22): {"allowed", "reason"} by
    the rule `rules.referral_refusal`, counted by outcome."""
    reason = engine.referral_refusal(facts["referrer"], facts["referred"])
    metrics.RISK_REFERRALS.labels(reason or "allowed").inc()
    return {"allowed": reason is None, "reason": reason}

"""Risk assessment. Until the rule engine lands (its own issue) every order is approved, but the
step is real: a decision row with score and rules, and the event the saga waits for."""
from sqlalchemy.dialects.postgresql import insert

from services.common import outbox
from services.risk.models import Decision

EVENTS = {"approve": "risk_approved", "review": "risk_review", "reject": "risk_rejected"}


def decide(signals):
    """(outcome, score, rules fired). No rules yet."""
    return "approve", 0, []


def assess(session, envelope):
    data = envelope["data"]
    outcome, score, rules = decide(data)
    session.execute(insert(Decision).values(order_no=data["order_no"], outcome=outcome, score=score,
                                            rules=rules, signals=data).on_conflict_do_nothing())
    outbox.add(session, EVENTS[outcome], {"order_no": data["order_no"], "score": score,
                                          "reason": "risk" if outcome == "reject" else None})

"""The console's order timeline, readable (issue 23): each step's event by a translated name
(`admin.event.<name>`; an event this list does not know keeps its own name), a step that left the
order where it was (awaiting_payment -> awaiting_payment) left out, and the few facts a person
reads (a reason, an error) instead of the step's JSON."""

EVENTS = (
    "order_created",
    "risk_approved",
    "risk_rejected",
    "risk_review",
    "review_approved",
    "review_rejected",
    "review_expired",
    "cancel_requested",
    "stock_reserved",
    "stock_reservation_failed",
    "payment_intent_created",
    "payment_succeeded",
    "payment_window_expired",
    "wallet_paid",
    "wallet_refunded",
    "delivery_started",
    "delivery_completed",
    "delivery_failed",
    "refund_ordered",
    "refund_completed",
    "step_timed_out",
)
SHOWN_FACTS = ("reason", "error", "state")  # what a step's data says in words


def timeline(steps):
    """[{"at", "from", "to", "event", "label" (a key or None), "facts": [(name, text)]}], oldest
    first, without the steps that changed nothing (the first step, from nothing, is kept)."""
    shown = []
    for step in steps:
        before = step.get("from")
        if before is not None and before == step.get("to"):
            continue
        data = step.get("data") or {}
        facts = [(name, str(data[name])[:200]) for name in SHOWN_FACTS if isinstance(data.get(name), (str, int))]
        event = step.get("event", "")
        shown.append(
            {
                "at": step.get("at"),
                "from": before,
                "to": step.get("to"),
                "event": event,
                "label": f"admin.event.{event}" if event in EVENTS else None,
                "facts": facts,
            }
        )
    return shown

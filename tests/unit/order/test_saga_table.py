"""The saga's transition table, checked as data: no paid order can be stranded, every way out of
a reservation gives the stock back, every step has a timeout and a way to give up."""

from types import SimpleNamespace

import pytest

from services.common.errors import Conflict
from services.order import saga

STATES = {
    "pending",
    "reserving",
    "review",
    "awaiting_payment",
    "paid",
    "delivering",
    "completed",
    "rejected",
    "expired",
    "cancelled",
    "refunding",
    "refunded",
}


def test_every_state_named_is_a_design_state():
    named = {s for s, _ in saga.TRANSITIONS} | {step.to for step in saga.TRANSITIONS.values()}
    assert named <= STATES


# Every arrow that moves money or codes, pinned exactly: a wrong target or a missing request fails
# here in a second, not only in the integration tests.
MONEY_ARROWS = {
    # a payment wherever one can arrive: delivered, or refunded, never kept silently
    ("awaiting_payment", "payment_succeeded"): saga.Step("paid", (saga.DELIVER,)),
    ("expired", "payment_succeeded"): saga.Step("paid", (saga.RESERVE,)),  # late: reserve again
    ("cancelled", "payment_succeeded"): saga.Step("paid", (saga.RESERVE,)),
    ("rejected", "payment_succeeded"): saga.Step("refunding", (saga.REFUND,)),
    ("review", "payment_succeeded"): saga.Step("refunding", (saga.RELEASE, saga.REFUND)),
    # a late payment's second reservation: deliver, or give the money back
    ("paid", "stock_reserved"): saga.Step("paid", (saga.DELIVER,)),
    ("paid", "stock_reservation_failed"): saga.Step("refunding", (saga.REFUND,)),
    # delivery's outcome
    ("paid", "delivery_completed"): saga.Step("completed", ("order_completed",)),
    ("delivering", "delivery_completed"): saga.Step("completed", ("order_completed",)),
    ("paid", "delivery_failed"): saga.Step("refunding", (saga.REFUND,)),
    ("delivering", "delivery_failed"): saga.Step("refunding", (saga.REFUND,)),
    # an admin's refund: codes not committed yet go back to stock
    ("paid", "refund_ordered"): saga.Step("refunding", (saga.RELEASE, saga.REFUND)),
    ("delivering", "refund_ordered"): saga.Step("refunding", (saga.RELEASE, saga.REFUND)),
    ("completed", "refund_ordered"): saga.Step("refunding", (saga.REFUND,)),
    ("refunding", "refund_completed"): saga.Step("refunded", (saga.REFUNDED,)),
    # an agent's order, paid from its wallet at creation: delivered at once; refunded to the wallet
    ("pending", "wallet_paid"): saga.Step("paid", (saga.DELIVER,)),
    ("refunding", "wallet_refunded"): saga.Step("refunded", (saga.REFUNDED,)),
}


@pytest.mark.parametrize("arrow", sorted(MONEY_ARROWS))
def test_each_money_carrying_arrow_is_exactly_this(arrow):
    assert saga.TRANSITIONS[arrow] == MONEY_ARROWS[arrow]


def test_no_other_arrow_takes_a_payment_or_a_refund():
    money_events = {
        "payment_succeeded",
        "refund_ordered",
        "refund_completed",
        "delivery_completed",
        "delivery_failed",
        "wallet_paid",
        "wallet_refunded",
    }
    extra = {arrow for arrow in saga.TRANSITIONS if arrow[1] in money_events} - set(MONEY_ARROWS)
    assert not extra, f"money arrows not pinned here: {sorted(extra)}"
    requesting = {
        arrow for arrow, step in saga.TRANSITIONS.items() if {saga.DELIVER, saga.REFUND} & set(step.requests)
    } - set(MONEY_ARROWS)
    assert not requesting, f"arrows that deliver or refund, not pinned here: {sorted(requesting)}"


@pytest.mark.parametrize("state", ["awaiting_payment", "expired", "cancelled", "rejected", "review"])
def test_money_is_never_dropped(state):
    """A payment in any state where one can arrive leads to delivery or to a refund."""
    step = saga.TRANSITIONS[(state, "payment_succeeded")]
    assert step.to in ("paid", "refunding") and (
        saga.DELIVER in step.requests or saga.RESERVE in step.requests or saga.REFUND in step.requests
    )


def test_leaving_a_reservation_releases_it_and_closes_the_intent():
    for event in ("payment_window_expired", "cancel_requested"):
        assert set(saga.TRANSITIONS[("awaiting_payment", event)].requests) == {saga.RELEASE, saga.CLOSE}
    for state in ("cancelled", "rejected", "expired"):  # a reservation that lands too late
        assert saga.TRANSITIONS[(state, "stock_reserved")].requests == (saga.RELEASE,)
    assert saga.RELEASE in saga.GIVE_UP["reserving"].requests


def test_review_holds_the_stock_until_an_admin_or_the_window_decides():
    assert saga.TRANSITIONS[("pending", "risk_review")] == saga.Step("review", (saga.RESERVE,))
    assert saga.TRANSITIONS[("pending", "risk_rejected")].requests == ()  # a reject reserves nothing
    assert saga.TRANSITIONS[("review", "review_approved")] == saga.Step("reserving", (saga.RESERVE,))
    for event in ("review_rejected", "review_expired", "cancel_requested"):
        assert saga.RELEASE in saga.TRANSITIONS[("review", event)].requests
    assert saga.TRANSITIONS[("review", "payment_succeeded")] == saga.Step("refunding", (saga.RELEASE, saga.REFUND))
    assert saga.DEADLINES == {"awaiting_payment": "payment_window_expired", "review": "review_expired"}
    for state, event in saga.DEADLINES.items():
        assert (state, event) in saga.TRANSITIONS and state not in saga.TIMEOUTS


def test_paid_orders_end_delivered_or_refunded():
    for state in ("paid", "delivering"):
        assert saga.TRANSITIONS[(state, "delivery_failed")] == saga.Step("refunding", (saga.REFUND,))
        assert saga.GIVE_UP[state] == saga.Step("refunding", (saga.RELEASE, saga.REFUND))
    assert saga.TRANSITIONS[("paid", "stock_reservation_failed")].to == "refunding"
    assert saga.TRANSITIONS[("refunding", "refund_completed")].to == "refunded"


def test_every_waiting_state_has_a_timeout_and_terminal_states_do_not():
    waiting = {"pending", "reserving", "paid", "delivering", "refunding"}
    assert set(saga.TIMEOUTS) == waiting
    assert set(saga.GIVE_UP) == waiting - {"refunding"}  # a refund is retried, never dropped
    assert not set(saga.TIMEOUTS) & saga.TERMINAL


def test_commands_are_refused_where_the_table_has_no_move():
    saga.require(SimpleNamespace(status="awaiting_payment"), "cancel_requested")
    with pytest.raises(Conflict):
        saga.require(SimpleNamespace(status="paid"), "cancel_requested")
    with pytest.raises(Conflict):
        saga.require(SimpleNamespace(status="awaiting_payment"), "refund_ordered")
    saga.require(SimpleNamespace(status="completed"), "refund_ordered")


def test_a_wallet_refund_is_answered_by_the_order_itself():
    """No payment channel holds a wallet-paid order's money: its refund request is answered at once
    by the event that stands for it, and every refunded order tells the account service."""
    assert saga.SELF_ANSWERED == {(saga.WALLET, saga.REFUND): "wallet_refunded"}
    for event in saga.SELF_ANSWERED.values():
        step = saga.TRANSITIONS[("refunding", event)]
        assert step.to == "refunded" and saga.REFUNDED in step.requests
    assert saga.ANSWERS["wallet_paid"] == saga.FIRST_REQUEST  # risk is not asked of an agent's order

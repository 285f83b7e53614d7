"""What the gateway decides on comes with every order view, read off the saga's table
(services/order/views.py `flags`): the gateway keeps no copy of the states."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from services.order import saga
from services.order.views import view


def order(status, pay_url="https://pay.example/1"):
    return SimpleNamespace(
        order_no="K1",
        status=status,
        amount=990,
        currency="CNY",
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        payment_no="P1" if pay_url else None,
        payment_channel="sandbox",
        pay_url=pay_url,
        sku="S",
        quantity=1,
        reason=None,
        paid_at=None,
        coupon=None,
        price_rule={"kind": "base"},
    )


def test_every_state_of_the_table_is_listed_once():
    named = {s for s, _ in saga.TRANSITIONS} | {step.to for step in saga.TRANSITIONS.values()}
    assert set(saga.STATES) == named and len(saga.STATES) == len(named)
    assert saga.STATES[0] == "pending"


def test_the_commands_flags_follow_the_table():
    assert {"pending", "reserving", "review", "awaiting_payment"} == saga.CANCELLABLE
    assert {"paid", "delivering", "completed"} == saga.REFUNDABLE
    assert {"completed"} == saga.DELIVERED


@pytest.mark.parametrize("status", saga.STATES)
def test_each_view_carries_the_flags_of_its_state(status):
    flags = view(order(status))
    assert flags["terminal"] == (status in saga.TERMINAL)
    assert flags["can_cancel"] == ((status, "cancel_requested") in saga.TRANSITIONS)
    assert flags["can_refund"] == ((status, "refund_ordered") in saga.TRANSITIONS)
    assert flags["delivered"] == (status == "completed")
    assert flags["settled"] == (status not in ("pending", "reserving"))


def test_awaiting_payment_is_settled_only_once_there_is_somewhere_to_pay():
    assert not view(order("awaiting_payment", pay_url=None))["settled"]
    assert view(order("awaiting_payment"))["settled"]


def test_a_recharge_being_delivered_is_news_for_the_buyer():
    assert view(order("delivering"))["settled"] and not view(order("delivering"))["terminal"]


@pytest.mark.parametrize("status", saga.STATES)
def test_the_pay_link_is_shown_only_while_a_payment_is_taken_or_after_one(status):
    """Fixed at acceptance, the link is not offered to an order still being decided (a payment
    then would be refunded, never delivered), nor to one rejected."""
    assert (view(order(status))["payment"] is not None) == (status in saga.PAYABLE)
    assert {"awaiting_payment", "expired", "cancelled"} == saga.PAYABLE
    paid = order(status)
    paid.paid_at = datetime(2030, 1, 1, tzinfo=UTC)
    assert view(paid)["payment"] == {"channel": "sandbox", "payment_no": "P1", "pay_url": "https://pay.example/1"}

"""Delivery outcomes (services/delivery/domain.py): a card order is delivered or fails, a direct
recharge goes to a supplier (`delivering`, announced as `delivery_started`) or, with none to take
it, fails as `no_supplier`; each outcome is announced once with the event the saga expects."""

import pytest

from services.common.errors import Conflict
from services.delivery import domain
from services.order import saga

CARD = {"order_no": "K1", "sku": "S", "quantity": 2, "delivery": "card", "recharge_account": None}
RECHARGE = {**CARD, "delivery": "recharge", "recharge_account": "13800000000"}


def refuse(order_no):
    raise Conflict("not reserved", {})


def test_card_codes_are_committed_or_the_delivery_fails():
    committed = []
    assert domain.fulfil(CARD, committed.append) == domain.Outcome(domain.DELIVERED)
    assert committed == ["K1"]
    assert domain.fulfil(CARD, refuse) == domain.Outcome(domain.FAILED, "reservation_missing")


def test_a_recharge_without_suppliers_fails_for_a_refund():
    assert domain.fulfil(RECHARGE, refuse) == domain.Outcome(domain.FAILED, "no_supplier")


def test_a_recharge_a_supplier_took_is_started():
    handed = []
    assert domain.fulfil(RECHARGE, refuse, hand_to_supplier=handed.append) == domain.Outcome(domain.STARTED)
    assert handed == [RECHARGE]


class Inserted:
    def __init__(self, row):
        self.row = row

    def first(self):
        return self.row


class Session:
    """Answers the delivery's INSERT ... ON CONFLICT DO NOTHING RETURNING: new once, then seen."""

    def __init__(self):
        self.seen = set()

    def execute(self, statement):
        key = statement.compile().params["order_no"]
        row = None if key in self.seen else ("x",)
        self.seen.add(key)
        return Inserted(row)


@pytest.mark.parametrize(
    "outcome, event, order_moves_to",
    [
        (
            domain.Outcome(domain.DELIVERED),
            {"type": "delivery_completed", "data": {"order_no": "K1", "quantity": 2}},
            "completed",
        ),
        (domain.Outcome(domain.STARTED), {"type": "delivery_started", "data": {"order_no": "K1"}}, "delivering"),
        (
            domain.Outcome(domain.FAILED, "no_supplier"),
            {"type": "delivery_failed", "data": {"order_no": "K1", "reason": "no_supplier"}},
            "refunding",
        ),
    ],
)
def test_each_outcome_is_announced_once_as_the_saga_expects(monkeypatch, outcome, event, order_moves_to):
    sent = []
    monkeypatch.setattr(domain.outbox, "add", lambda session, type_, data: sent.append({"type": type_, "data": data}))
    session = Session()
    for _ in range(2):  # a redelivered request says nothing more
        domain.record(session, {"data": CARD}, outcome)
    assert sent == [event]
    assert saga.TRANSITIONS[("paid", event["type"])].to == order_moves_to

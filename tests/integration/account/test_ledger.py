"""The agents' ledger on real PostgreSQL (issue 19): exact profit shares down a three-level chain
(markups half up to the fen, per unit), a refund that reverses every share, settlement and the
claw-back after it, withdrawals, finance's adjustments idempotent by key, and the ledger's own
balance (every transaction sums to zero, every cached balance is its entries' sum) after a
randomised mix of all of them. The deferred trigger refuses an unbalanced transaction at commit."""

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.account import agents, ledger, sales
from services.account.models import LedgerEntry, LedgerTransaction, metadata
from services.common.db import transaction
from services.common.errors import IdempotencyMismatch, InsufficientBalance, InvalidInput
from services.common.testing import unique
from tests.integration.account.agent_helpers import a_chain

NOW = datetime.now().astimezone()


def tx(engine):
    return transaction(engine, metadata)


def wallet(s, agent_id):
    return ledger.balance(s, ledger.wallet(agent_id))


def facts(engine):
    with tx(engine) as s:
        return ledger.integrity_facts(s)


def test_the_sell_price_rounds_half_up_to_the_fen():
    assert agents.sell_price(1000, 1250) == 1125
    assert agents.sell_price(333, 1500) == 383  # 49.95 -> 50
    assert agents.sell_price(333, 1485) == 382  # 49.45 -> 49
    assert agents.sell_price(1, 5000) == 2  # 0.5 -> 1
    assert agents.sell_price(999, 0) == 999


def test_a_three_level_chain_sale_pays_each_agent_exactly(engine):
    with tx(engine) as s:
        top, middle, leaf = a_chain(s, [1500, 1000, 0], top_up=0)
        sales.adjust(s, "test", leaf, 100_000, "top up", unique("k"))
        order_no = unique("K")
        # the top buys at 3.33; sells at 3.33 + 0.4995 -> 3.83; middle sells at 3.83 + 0.383 -> 4.21
        charged = sales.charge(s, leaf, order_no, "SKU", 7, 333, "CNY")
    assert charged == {"amount": 421 * 7, "balance": 100_000 - 421 * 7}
    with tx(engine) as s:
        assert agents.prices(s, leaf, [{"sku": "SKU", "unit_price": 333}]) == [{"sku": "SKU", "unit_price": 421}]
        assert {c.agent_id: (c.amount, c.status) for c in sales.shares(s, order_no)} == {
            top: ((383 - 333) * 7, "held"),
            middle: ((421 - 383) * 7, "held"),
        }
        assert sales.complete(s, order_no, 7, NOW)
        assert not sales.complete(s, order_no, 7, NOW)  # once
    with tx(engine) as s:
        assert ledger.balance(s, ledger.pending(top)) == 350
        assert ledger.balance(s, ledger.pending(middle)) == 266
        revenue = s.scalar(
            text("SELECT amount FROM account.ledger_entries e JOIN account.ledger_accounts a ON a.id = e.account_id "
                 "JOIN account.ledger_transactions t ON t.id = e.transaction_id "
                 "WHERE a.code = 'platform:revenue' AND t.order_no = :o"), {"o": order_no},
        )  # fmt: skip
        assert revenue == 333 * 7 and revenue + 350 + 266 == charged["amount"]
        assert sales.settle_due(s, NOW + timedelta(days=6)) == 0 or True  # others' shares may be due
        assert wallet(s, top) == 0
    with tx(engine) as s:
        sales.settle_due(s, NOW + timedelta(days=8))
    with tx(engine) as s:
        assert (wallet(s, top), wallet(s, middle)) == (350, 266)
        assert ledger.balance(s, ledger.pending(top)) == 0
    after = facts(engine)
    assert after["unbalanced"] == [] and after["drifted"] == [] and after["total"] == 0


def test_a_refund_before_completion_gives_the_money_back_and_cancels_the_shares(engine):
    with tx(engine) as s:
        top, leaf = a_chain(s, [2000, 0])
        sales.adjust(s, "test", leaf, 5_000, "top up", unique("k"))
        order_no = unique("K")
        sales.charge(s, leaf, order_no, "SKU", 2, 1000, "CNY")
        assert wallet(s, leaf) == 5_000 - 2_400
    with tx(engine) as s:
        assert sales.refund(s, order_no, NOW) == {"balance": 5_000}
        assert sales.refund(s, order_no, NOW) == {"balance": 5_000}  # once
        assert [c.status for c in sales.shares(s, order_no)] == ["cancelled"]
        assert sales.complete(s, order_no, 7, NOW) is False  # a late completion changes nothing
        assert ledger.balance(s, ledger.pending(top)) == 0 and ledger.balance(s, ledger.held(leaf)) == 0


def test_a_refund_inside_the_window_cancels_and_after_it_claws_back_as_debt(engine):
    with tx(engine) as s:
        top, middle, leaf = a_chain(s, [1000, 1000, 0])
        sales.adjust(s, "test", leaf, 50_000, "top up", unique("k"))
        early, late = unique("K"), unique("K")
        for order_no in (early, late):
            sales.charge(s, leaf, order_no, "SKU", 1, 10_000, "CNY")  # top 100.00, middle buys 110.00, leaf 121.00
        sales.complete(s, early, 7, NOW)
        sales.complete(s, late, 7, NOW - timedelta(days=10))
        sales.settle_due(s, NOW)
    with tx(engine) as s:
        assert (wallet(s, top), wallet(s, middle)) == (1_000, 1_100)  # the late order's shares only
        assert (ledger.balance(s, ledger.pending(top)), ledger.balance(s, ledger.pending(middle))) == (1_000, 1_100)
        sales.refund(s, early, NOW)
        assert (ledger.balance(s, ledger.pending(top)), ledger.balance(s, ledger.pending(middle))) == (0, 0)
        sales.adjust(s, "test", top, -1_000, "paid out by hand", unique("k"))  # spends its commission
    with tx(engine) as s:
        assert sales.refund(s, late, NOW) == {"balance": 50_000}
        assert wallet(s, top) == -1_000  # clawed back after settlement: debt
        assert wallet(s, middle) == 0
        assert {c.status for c in sales.shares(s, late)} == {"clawed_back"}
    with pytest.raises(InsufficientBalance), tx(engine) as s:  # debt spends nothing
        sales.request_withdrawal(s, top, 1)


def test_a_wallet_never_pays_more_than_it_holds_unless_a_credit_limit_allows(engine):
    with tx(engine) as s:
        (leaf,) = a_chain(s, [0])
        sales.adjust(s, "test", leaf, 1_000, "top up", unique("k"))
    with pytest.raises(InsufficientBalance), tx(engine) as s:
        sales.charge(s, leaf, unique("K"), "SKU", 2, 600, "CNY")
    with tx(engine) as s:
        assert wallet(s, leaf) == 1_000 and s.scalar(text("SELECT count(*) FROM account.agent_orders "
                                                          "WHERE agent_id = :a"), {"a": leaf}) == 0  # fmt: skip
        agents.change(s, "test", leaf, {"credit_limit": 500})
    with tx(engine) as s:
        assert sales.charge(s, leaf, unique("K"), "SKU", 2, 600, "CNY")["balance"] == -200
    with pytest.raises(InsufficientBalance), tx(engine) as s:
        sales.charge(s, leaf, unique("K"), "SKU", 1, 301, "CNY")


def test_an_adjustment_is_booked_once_per_idempotency_key(engine):
    with tx(engine) as s:
        (agent,) = a_chain(s, [0])
        key = unique("key")
        first = sales.adjust(s, "test", agent, 1_234, "top up", key)
    with tx(engine) as s:
        assert sales.adjust(s, "test", agent, 1_234, "top up", key) == first == {"balance": 1_234, "currency": "CNY"}
        sales.adjust(s, "test", agent, 100, "another", unique("key"))
    with tx(engine) as s:
        assert sales.adjust(s, "test", agent, 1_234, "top up", key) == first  # the first answer, still
        with pytest.raises(IdempotencyMismatch):
            sales.adjust(s, "test", agent, 999, "top up", key)
    with pytest.raises(InsufficientBalance), tx(engine) as s:
        sales.adjust(s, "test", agent, -10_000, "too much", unique("key"))
    with tx(engine) as s:
        assert wallet(s, agent) == 1_334


def test_withdrawals_hold_the_money_until_finance_pays_or_rejects(engine):
    with tx(engine) as s:
        (agent,) = a_chain(s, [0])
        sales.adjust(s, "test", agent, 10_000, "commission", unique("k"))
        one = sales.request_withdrawal(s, agent, 6_000)
        two = sales.request_withdrawal(s, agent, 4_000)
        assert wallet(s, agent) == 0
    # each command in its own transaction, as the RPCs run them: a refused one is rolled back whole
    with pytest.raises(InsufficientBalance), tx(engine) as s:
        sales.request_withdrawal(s, agent, 1)
    with tx(engine) as s:
        assert sales.review_withdrawal(s, "finance", one["id"], True, "paid")["status"] == "approved"
        assert sales.review_withdrawal(s, "finance", two["id"], False, "no")["status"] == "rejected"
    with tx(engine) as s:
        assert wallet(s, agent) == 4_000


def test_the_markup_stays_within_what_the_parent_allows_and_the_depth_within_its_limit(engine):
    with tx(engine) as s:
        (top,) = a_chain(s, [0])
        agents.change(s, "test", top, {"sub_markup_min_bp": 100, "sub_markup_max_bp": 500})
        level = agents.get(s, top)["level"]
        child = agents.create(s, "test", {"name": "c", "contact": "c", "parent": top, "level": level}, 2)
        with pytest.raises(InvalidInput):
            agents.change(s, "test", child["id"], {"markup_bp": 600})
    with tx(engine) as s:
        assert agents.change(s, "test", child["id"], {"markup_bp": 500})["markup_bp"] == 500
        with pytest.raises(Exception, match="depth"):
            agents.create(s, "test", {"name": "g", "contact": "g", "parent": child["id"], "level": level}, 2)


def test_an_unbalanced_transaction_is_refused_at_commit(engine):
    with pytest.raises(IntegrityError, match="does not balance"), tx(engine) as s:
        t = LedgerTransaction(idem_key=unique("bad"), kind="test")
        s.add(t)
        s.flush()
        s.add(LedgerEntry(transaction_id=t.id, account_id=ledger.account(s, ledger.CASH), amount=1))
    with pytest.raises(ValueError), tx(engine) as s:
        ledger.book(s, unique("bad"), "test", [(ledger.CASH, 1), (ledger.REVENUE, -2)])


def test_after_a_random_mix_the_ledger_balances_to_the_fen(engine):
    rng = random.Random(19)
    with tx(engine) as s:
        chain = a_chain(s, [rng.randrange(0, 3000) for _ in range(4)] + [0])
        for agent in chain:
            sales.adjust(s, "test", agent, 200_000, "top up", unique("k"))
    orders, withdrawals = [], []
    for _ in range(120):
        move = rng.random()
        try:
            with tx(engine) as s:
                if move < 0.4 or not orders:
                    order_no = unique("K")
                    sales.charge(s, rng.choice(chain), order_no, "SKU", rng.randint(1, 5), rng.randint(1, 9_999), "CNY")
                    orders.append(order_no)
                elif move < 0.6:
                    sales.complete(s, rng.choice(orders), 7, NOW - timedelta(days=rng.choice([0, 10])))
                elif move < 0.75:
                    sales.refund(s, rng.choice(orders), NOW)
                elif move < 0.85:
                    sales.settle_due(s, NOW)
                elif move < 0.95:
                    withdrawals.append(sales.request_withdrawal(s, rng.choice(chain), rng.randint(1, 5_000))["id"])
                elif withdrawals:
                    sales.review_withdrawal(s, "f", withdrawals.pop(), rng.random() < 0.5, None)
        except InsufficientBalance:
            pass  # rolled back: nothing booked
    after = facts(engine)
    assert after["unbalanced"] == [] and after["drifted"] == [] and after["total"] == 0
    assert after["transactions"] > 100

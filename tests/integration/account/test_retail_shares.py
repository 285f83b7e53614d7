"""Retail sales' profit shares on real PostgreSQL (issue 19): a buyer's order sold in an agent's
sub-store or through its link is credited when it completes (each agent up the chain its margin,
the seller what the buyer paid over its buying price, the platform the rest, exactly), once; a
refund after settlement claws every share back as a receivable (the wallets' debt), and the
buyers' payment goes back; a refund seen before the completion makes a late completion credit
nothing; the ledger stays balanced."""

from datetime import datetime, timedelta

from services.account import console, ledger, sales
from services.account.models import Agent, metadata
from services.common.db import transaction
from services.common.testing import unique
from tests.integration.account.agent_helpers import a_chain

NOW = datetime.now().astimezone()


def tx(engine):
    return transaction(engine, metadata)


def completed(order_no, via, top_unit_price, retail_unit, quantity):
    return {
        "order_no": order_no,
        "via_agent_id": via,
        "sku": "SKU",
        "quantity": quantity,
        "amount": retail_unit * quantity,
        "currency": "CNY",
        "top_unit_price": top_unit_price,
    }


def test_a_retail_sale_shares_exactly_and_a_refund_after_settlement_claws_back(engine):
    with tx(engine) as s:
        top, middle, leaf = a_chain(s, [1500, 1000, 0])
        s.get(Agent, leaf).retail_markup_bp = 2500
        # top 3.33 -> sells at 3.83 -> middle sells at 4.21 -> buyers pay 4.21 + 1.0525 -> 5.26
        [priced] = console.store_prices(s, leaf, [{"sku": "SKU", "unit_price": 333}])
        assert priced["unit_price"] == 526
        order_no = unique("K")
        assert sales.retail(s, completed(order_no, leaf, 333, 526, 3), 7, NOW - timedelta(days=8))
        assert not sales.retail(s, completed(order_no, leaf, 333, 526, 3), 7, NOW)  # once
    with tx(engine) as s:
        owed = {c.agent_id: c.amount for c in sales.shares(s, order_no)}
        assert owed == {top: 50 * 3, middle: 38 * 3, leaf: 105 * 3}
        assert ledger.balance(s, ledger.PAYMENTS) <= -526 * 3
        sales.settle_due(s, NOW)
    with tx(engine) as s:
        assert [ledger.balance(s, ledger.wallet(a)) for a in (top, middle, leaf)] == [150, 114, 315]
        sales.adjust(s, "test", leaf, -315, "paid out by hand", unique("k"))
        before = ledger.balance(s, ledger.PAYMENTS)
        sales.refund(s, order_no, NOW)
    with tx(engine) as s:
        assert [ledger.balance(s, ledger.wallet(a)) for a in (top, middle, leaf)] == [0, 0, -315]  # a receivable
        assert ledger.balance(s, ledger.PAYMENTS) == before + 526 * 3
        assert {c.status for c in sales.shares(s, order_no)} == {"clawed_back"}
        facts = ledger.integrity_facts(s)
    assert facts["unbalanced"] == [] and facts["drifted"] == [] and facts["total"] == 0


def test_a_refund_seen_first_makes_a_late_completion_credit_nothing(engine):
    with tx(engine) as s:
        _, leaf = a_chain(s, [1000, 0])
        order_no = unique("K")
        sales.on_order_refunded(s, {"data": {"order_no": order_no, "via_agent_id": leaf, "sku": "SKU", "quantity": 1}})
        assert not sales.retail(s, completed(order_no, leaf, 1000, 1100, 1), 7, NOW)
        assert sales.shares(s, order_no) == []


def test_the_seller_never_earns_below_zero_when_a_markup_above_rose_meanwhile(engine):
    with tx(engine) as s:
        top, leaf = a_chain(s, [2000, 0])  # the buyer paid 11.00 when the top's markup was 10 %
        order_no = unique("K")
        assert sales.retail(s, completed(order_no, leaf, 1000, 1100, 1), 7, NOW)
        assert {c.agent_id: c.amount for c in sales.shares(s, order_no)} == {top: 200}  # the platform: 9.00
        facts = ledger.integrity_facts(s)
    assert facts["unbalanced"] == [] and facts["drifted"] == []

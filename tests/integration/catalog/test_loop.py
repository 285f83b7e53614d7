"""Loop codes (循环卡密, issue 24) against the real PostgreSQL: every order gets the same code(s),
none of them changes status, the cap is counted and given back, modes never mix, and the
integrity facts tell loop codes from single-sale ones."""

import eventlet
import pytest
from sqlalchemy import select, text

from services.catalog.domain import codes, integrity, products, replace, stock
from services.catalog.models import Code, LoopDelivery, StockLevel
from services.common.errors import Conflict, InvalidInput
from services.common.testing import make_envelope, unique
from tests.integration.catalog.helpers import KEYS, import_codes, outbox_events


def level(tx, sku):
    with tx() as s:
        row = s.get(StockLevel, sku)
        return row.counted, row.available, row.reserved, row.sold


def buy(tx, sku, quantity=1):
    """Reserve and commit an order: its order_no."""
    order = unique("ORD")
    with tx() as s:
        assert stock.reserve(s, order, sku, quantity, 600)["outcome"] == "reserved"
    with tx() as s:
        stock.commit(s, order)
    return order


def statuses(tx, sku):
    with tx() as s:
        return s.scalars(select(Code.status).where(Code.sku == sku).order_by(Code.id)).all()


def test_every_order_gets_the_same_codes_and_none_of_them_changes(tx, make_product):
    sku = make_product(delivery="loop")
    import_codes(tx, sku, ["COURSE-KEY-1,pw1", "https://example.com/course"])
    assert level(tx, sku) == (False, 0, 0, 0)  # unlimited by default; the codes are not its stock
    orders = [buy(tx, sku), buy(tx, sku, quantity=2), buy(tx, sku)]
    with tx() as s:
        stock.commit(s, orders[0])  # a repeat gives nothing more
        for order in orders:
            assert stock.codes_of(s, KEYS, order) == [
                {"code": "COURSE-KEY-1", "secret": "pw1", "expires_on": None},
                {"code": "https://example.com/course", "secret": None, "expires_on": None},
            ]
        assert len(s.scalars(select(LoopDelivery).where(LoopDelivery.order_no == orders[0])).all()) == 2
        assert products.get_product(s, sku)["stock"] is None and products.get_product(s, sku)["delivery"] == "loop"
    assert statuses(tx, sku) == ["available", "available"]
    assert level(tx, sku) == (False, 0, 0, 4)  # four sales counted, no code sold


def test_the_cap_is_counted_refused_when_spent_and_given_back(tx, engine, make_product):
    sku = make_product(delivery="loop")
    import_codes(tx, sku, ["SHARED-KEY"])
    with tx() as s:
        stock.set_counted_stock(s, "test", sku, 2)
    first = buy(tx, sku)
    held = unique("ORD")
    with tx() as s:
        assert stock.reserve(s, held, sku, 1, 600)["outcome"] == "reserved"
        assert products.get_product(s, sku)["stock"] == 0 and sku in stock.sold_out(s)
    late = unique("ORD")
    with tx() as s:
        assert stock.reserve(s, late, sku, 1, 600)["outcome"] == "out_of_stock"
    with tx() as s:
        stock.release(s, held)  # expiry or cancel: the slot comes back
    with tx() as s:
        assert stock.reserve(s, late, sku, 1, 600)["outcome"] == "reserved"
        stock.commit(s, late)
    assert level(tx, sku) == (True, 0, 0, 2)
    refunded = make_envelope("order_refunded", order_no=first)
    for _ in range(2):  # a refunded sale goes back to the cap, once
        with tx() as s:
            stock.on_order_refunded(s, refunded)
    assert level(tx, sku) == (True, 1, 0, 1)
    with tx() as s:
        assert sku not in stock.sold_out(s)
        assert [c["code"] for c in stock.codes_of(s, KEYS, first)] == ["SHARED-KEY"]  # what it was given stays
    assert [t for t, d in outbox_events(engine, order_no=first) if t == "stock_released"] == ["stock_released"]


def test_a_refunded_single_sale_order_keeps_its_codes_sold(tx, make_product):
    sku = make_product(n_codes=2)
    order = buy(tx, sku)
    with tx() as s:
        assert stock.on_order_refunded(s, make_envelope("order_refunded", order_no=order))["returned"] is False
    assert level(tx, sku) == (True, 1, 0, 1)


def test_no_code_no_sale_until_one_is_imported(tx, make_product):
    sku = make_product(delivery="loop")
    with tx() as s:
        assert sku in stock.sold_out(s) and products.get_product(s, sku)["stock"] == 0
        assert stock.reserve(s, unique("ORD"), sku, 1, 600)["outcome"] == "out_of_stock"
    assert level(tx, sku) == (False, 0, 0, 0)
    assert import_codes(tx, sku, ["KEY-A", "KEY-A", "KEY-B"])["imported"] == 2  # duplicates as for any import
    with tx() as s:
        assert sku not in stock.sold_out(s)
        assert products.get_product(s, sku)["stock"] is None  # unlimited
        assert products.list_products(s, q=sku)["items"][0]["stock"] is None
    assert buy(tx, sku)


def test_single_sale_and_loop_codes_never_share_a_product(tx, make_product):
    card, looped = make_product(n_codes=1), make_product(delivery="loop")
    import_codes(tx, looped, ["SHARED"])
    for sku, other in ((card, "loop"), (looped, "card")):
        with tx() as s, pytest.raises(Conflict) as refused:
            products.update_product(s, "test", sku, {"delivery": other})
        assert "fixed" in refused.value.message
    with tx() as s:
        assert products.update_product(s, "test", looped, {"delivery": "loop", "name": "课程"})["name"] == "课程"
    with tx() as s, pytest.raises(InvalidInput):
        products.create_product(
            s,
            "test",
            {"sku": unique("SKU"), "name": "x", "category": "tests", "price": 1, "delivery": "card", "stock": 5},
        )
    with tx() as s, pytest.raises(Conflict):
        codes.begin_import(s, "supplier:1", looped, loop_codes=False)  # a supplier's push: not loop codes
    order = buy(tx, looped)
    with tx() as s:
        [given] = replace.delivery_record(s, KEYS, "support", order, reveal=False)
        assert given["status"] == "loop" and given["code"] == "•" * 8
        with pytest.raises(Conflict):
            replace.replace_code(s, "support", order, given["id"], "invalid")


def test_integrity_facts_count_loop_codes_apart_and_find_a_single_sale_code_given_twice(tx, make_product):
    card, looped = make_product(n_codes=1), make_product(delivery="loop")
    import_codes(tx, looped, ["SHARED-1", "SHARED-2"])
    sold, a, b = buy(tx, card), buy(tx, looped), buy(tx, looped)
    with tx() as s:
        facts = integrity.integrity_facts(s, 1)
    assert facts["sold"][sold] == 1 and a not in facts["sold"]
    assert (facts["loop_given"][a], facts["loop_given"][b]) == (2, 2)
    assert all(stray["sku"] != looped for stray in facts["single_sale_given_by_loop"])
    with tx() as s:  # a single-sale code given to another order by the loop path: sold twice
        code_id = s.scalars(select(Code.id).where(Code.order_no == sold)).one()
        s.execute(
            text("INSERT INTO catalog.loop_deliveries (order_no, code_id, sku) VALUES (:o, :c, :s)"),
            {"o": b, "c": code_id, "s": card},
        )
    try:
        with tx() as s:
            strays = integrity.integrity_facts(s, 1)["single_sale_given_by_loop"]
        assert {"code_id": code_id, "sku": card, "sold_to": sold, "given_to": b} in strays
    finally:
        with tx() as s:
            s.execute(text("DELETE FROM catalog.loop_deliveries WHERE code_id = :c"), {"c": code_id})


def test_concurrent_buyers_never_pass_the_cap(tx, make_product):
    sku = make_product(delivery="loop")
    import_codes(tx, sku, ["SHARED-KEY"])
    with tx() as s:
        stock.set_counted_stock(s, "test", sku, 10)

    def attempt(_):
        order = unique("ORD")
        with tx() as s:
            outcome = stock.reserve(s, order, sku, 1, 600)["outcome"]
        if outcome == "reserved":
            with tx() as s:
                stock.commit(s, order)
        return order, outcome

    pool = eventlet.GreenPool(30)
    answers = list(pool.imap(attempt, range(30)))
    won = [order for order, outcome in answers if outcome == "reserved"]
    assert len(won) == 10 and level(tx, sku) == (True, 0, 0, 10)
    with tx() as s:
        assert all([c["code"] for c in stock.codes_of(s, KEYS, order)] == ["SHARED-KEY"] for order in won)
    assert statuses(tx, sku) == ["available"]

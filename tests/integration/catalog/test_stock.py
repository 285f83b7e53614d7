"""Reservations against the real PostgreSQL: all-or-nothing, idempotent, never one code for two
orders, counters in step, one event per outcome, stock_low once per crossing."""

from datetime import UTC, datetime, time, timedelta

import eventlet
import pytest
from sqlalchemy import exc, func, select

from services.catalog.domain import codes, integrity, pricing, products, replace, stock
from services.catalog.models import Code, CodeImport, Reservation, StockLevel
from services.common import sql
from services.common.errors import Conflict, InvalidInput, NotFound, OutOfStock
from services.common.testing import unique
from tests.integration.catalog.helpers import KEYS, import_codes, outbox_events


def level(tx, sku):
    with tx() as s:
        row = s.get(StockLevel, sku)
        return row.available, row.reserved, row.sold


def test_reserve_is_all_or_nothing_and_idempotent(tx, engine, make_product):
    sku = make_product(n_codes=3)
    order = unique("ORD")
    with tx() as s:
        assert stock.reserve(s, order, sku, 2, 600)["outcome"] == "reserved"
    with tx() as s:  # a repeat answers as the first did and takes nothing more
        assert stock.reserve(s, order, sku, 2, 600)["outcome"] == "reserved"
    assert level(tx, sku) == (1, 2, 0)
    with tx() as s:
        assert stock.reserve(s, unique("ORD"), sku, 2, 600)["outcome"] == "out_of_stock"
    assert level(tx, sku) == (1, 2, 0)  # the failed one took nothing, not even one code
    with tx() as s, pytest.raises(Conflict):
        stock.reserve(s, order, sku, 1, 600)  # same order, different request
    types = [t for t, _ in outbox_events(engine, sku=sku) if t.startswith("stock_reserv")]
    assert types == ["stock_reserved", "stock_reserved", "stock_reservation_failed"]  # a repeat says it again


def test_release_and_commit_are_idempotent_and_move_the_counters(tx, engine, make_product):
    sku = make_product(n_codes=4)
    kept, dropped = unique("ORD"), unique("ORD")
    with tx() as s:
        stock.reserve(s, kept, sku, 2, 600)
        stock.reserve(s, dropped, sku, 1, 600)
    for _ in range(2):
        with tx() as s:
            stock.release(s, dropped)
            stock.commit(s, kept)
    assert level(tx, sku) == (2, 0, 2)
    with tx() as s:
        sold = stock.codes_of(s, KEYS, kept)
        assert [c["code"] for c in sold] == [f"{sku}-CODE-0", f"{sku}-CODE-1"]
        with pytest.raises(Conflict):
            stock.commit(s, dropped)  # released: the saga must re-reserve
        with pytest.raises(NotFound):
            stock.commit(s, unique("ORD"))
    types = [t for t, _ in outbox_events(engine, sku=sku)]
    assert types.count("stock_released") == 1 and types.count("stock_committed") == 1


def test_commit_all_commits_each_order_it_can_and_names_the_others_missing(tx, make_product):
    """The order service's own delivery: several orders in one call, one transaction; a released
    or unknown reservation is `missing` and changes nothing, the others are sold (a repeat too)."""
    sku = make_product(n_codes=4)
    first, second, released, unknown = (unique("ORD") for _ in range(4))
    with tx() as s:
        for order in (first, second, released):
            stock.reserve(s, order, sku, 1, 600)
        stock.release(s, released)
    expected = {first: "committed", second: "committed", released: "missing", unknown: "missing"}
    with tx() as s:
        assert stock.commit_all(s, [second, unknown, first, released, first]) == expected
    with tx() as s:  # a repeat (the sweeper's path after a lost answer) sells nothing more
        assert stock.commit_all(s, [first, second, released, unknown]) == expected
    assert level(tx, sku) == (2, 0, 2)


def test_a_sold_out_reservation_leaves_no_savepoint_open(tx, make_product):
    """A batch of sold-out reservations must not nest a savepoint per order under the next one
    (past 64 open subtransactions PostgreSQL slows every session down)."""
    sku = make_product(n_codes=1)
    with pytest.raises(exc.DBAPIError, match="savepoint"), tx() as s:
        assert stock.reserve(s, unique("ORD"), sku, 2, 600)["outcome"] == "out_of_stock"
        sql.run(s, "RELEASE SAVEPOINT take", {})  # there is none left to release


def test_a_released_reservation_can_be_taken_again(tx, make_product):
    sku = make_product(n_codes=1)
    order = unique("ORD")
    with tx() as s:
        stock.reserve(s, order, sku, 1, 600)
    with tx() as s:
        stock.release(s, order)
    with tx() as s:  # a late payment re-reserves
        assert stock.reserve(s, order, sku, 1, 600)["outcome"] == "reserved"
    assert level(tx, sku) == (0, 1, 0)


def test_two_hundred_parallel_reservations_on_fifty_codes(tx, engine, make_product):
    sku = make_product(n_codes=50, max_quantity=1)
    outcomes = {}

    def buy(n):
        order = f"FLASH-{sku}-{n}"
        with tx() as s:
            outcomes[order] = stock.reserve(s, order, sku, 1, 600)["outcome"]

    pool = eventlet.GreenPool(200)
    for n in range(200):
        pool.spawn_n(buy, n)
    pool.waitall()
    winners = [o for o, r in outcomes.items() if r == "reserved"]
    assert len(outcomes) == 200 and len(winners) == 50
    with tx() as s:
        owners = s.execute(select(Code.order_no, func.count()).where(Code.sku == sku).group_by(Code.order_no)).all()
    assert sorted(o for o, _ in owners) == sorted(winners) and all(n == 1 for _, n in owners)
    assert level(tx, sku) == (0, 50, 0)


def test_counted_and_unlimited_stock(tx, make_product):
    unlimited = make_product(delivery="recharge")
    with tx() as s:
        assert stock.reserve(s, unique("ORD"), unlimited, 1, 600)["outcome"] == "reserved"
    counted = make_product(delivery="manual")
    with tx() as s:
        stock.set_counted_stock(s, "test", counted, 2)
    with tx() as s:
        assert stock.reserve(s, unique("ORD"), counted, 2, 600)["outcome"] == "reserved"
        assert stock.reserve(s, unique("ORD"), counted, 1, 600)["outcome"] == "out_of_stock"
    with tx() as s:
        assert products.get_product(s, counted)["stock"] == 0
        assert products.get_product(s, unlimited)["stock"] is None
        with pytest.raises(Conflict):
            stock.set_counted_stock(s, "test", make_product(), 5)  # card stock is its codes


def test_bad_quantities_and_unknown_or_inactive_products(tx, make_product):
    sku = make_product(n_codes=5, max_quantity=3)
    with tx() as s:
        for quantity in (0, -1, 4):
            with pytest.raises(InvalidInput):
                stock.reserve(s, unique("ORD"), sku, quantity, 600)
        with pytest.raises(NotFound):
            stock.reserve(s, unique("ORD"), "NO-SUCH-SKU", 1, 600)
    with tx() as s:
        products.update_product(s, "test", sku, {"active": False})
    with tx() as s, pytest.raises(NotFound):
        stock.reserve(s, unique("ORD"), sku, 1, 600)


def test_stock_low_once_per_crossing_and_replenished(tx, engine, make_product):
    sku = make_product(n_codes=5, threshold=3)
    for _ in range(4):
        with tx() as s:
            stock.reserve(s, unique("ORD"), sku, 1, 600)
    lows = [d for t, d in outbox_events(engine, sku=sku) if t == "stock_low"]
    assert lows == [{"sku": sku, "available": 2, "threshold": 3}]  # crossed once, not per order
    import_codes(tx, sku, [f"{sku}-MORE-{n}" for n in range(5)])
    with tx() as s:
        assert next(r for r in products.stock_report(s) if r["sku"] == sku)["low"] is False
    replenished = [d for t, d in outbox_events(engine, sku=sku) if t == "stock_replenished"]
    assert replenished[-1] == {"sku": sku, "added": 5, "available": 6}
    for _ in range(4):
        with tx() as s:
            stock.reserve(s, unique("ORD"), sku, 1, 600)
    assert len([t for t, _ in outbox_events(engine, sku=sku) if t == "stock_low"]) == 2  # a new crossing


def test_sweeper_releases_expired_reservations(tx, engine, make_product):
    sku = make_product(n_codes=2)
    expiring, lasting = unique("ORD"), unique("ORD")
    with tx() as s:
        stock.reserve(s, expiring, sku, 1, 1)
        stock.reserve(s, lasting, sku, 1, 600)
    later = datetime.now(UTC) + timedelta(seconds=5)
    with tx() as s:
        stock.sweep_expired(s, now=later)
    with tx() as s:
        assert s.get(Reservation, expiring).status == "released"
        assert s.get(Reservation, lasting).status == "held"
    assert level(tx, sku) == (1, 1, 0)
    assert ("stock_released", {"order_no": expiring, "sku": sku, "quantity": 1, "reason": "expired"}) in outbox_events(
        engine, order_no=expiring
    )


def test_the_sweeper_passes_over_an_expired_reservation_being_changed(tx, engine, make_product):
    """It holds the reservation row: waiting for the order's lock, held by a change that wants that
    row next (a commit at the last moment), would deadlock. It leaves it to the next sweep."""
    sku = make_product(n_codes=1)
    order = unique("ORD")
    with tx() as s:
        stock.reserve(s, order, sku, 1, 1)
    later = datetime.now(UTC) + timedelta(seconds=5)
    with engine.connect() as other, other.begin():
        other.exec_driver_sql(stock.SERIALISE, {"order_no": order})  # a change of this order is under way
        with tx() as s:
            sql.run(s, "SET LOCAL lock_timeout = '1s'", {})  # waiting would fail the sweep
            stock.sweep_expired(s, now=later)
            assert s.get(Reservation, order).status == "held"
    with tx() as s:
        assert stock.sweep_expired(s, now=later) >= 1
    with tx() as s:
        assert s.get(Reservation, order).status == "released"


def test_import_dedupes_within_and_across_imports_and_encrypts(tx, engine, make_product):
    sku = make_product()
    first = import_codes(tx, sku, ["A1,pw1", "A2", "A1,other", "", "A3,s,2027-02-30"])
    assert first == {
        "imported": 2,
        "duplicates": 1,
        "rejected": [{"line": 4, "reason": "empty code"}, {"line": 5, "reason": "expiry is not a YYYY-MM-DD date"}],
    }
    second = import_codes(tx, sku, ["A2", "A4"])
    assert (second["imported"], second["duplicates"]) == (1, 1)
    with tx() as s:
        rows = s.scalars(select(Code).where(Code.sku == sku).order_by(Code.id)).all()
        assert b"A1" not in rows[0].code and KEYS.decrypt(rows[0].code) == "A1"
        assert KEYS.decrypt(rows[0].secret) == "pw1"  # the first occurrence wins
        assert level(tx, sku)[0] == 3
        assert s.execute(select(func.count()).select_from(metadata_lines())).scalar_one() == 0


def metadata_lines():
    from sqlalchemy import column, table

    return table("code_import_lines", column("import_id"), schema="catalog")


def test_aborted_import_leaves_nothing(tx, make_product):
    sku = make_product()
    with tx() as s:
        job = codes.begin_import(s, "test", sku)["import_id"]
    with tx() as s:
        codes.stage(s, KEYS, job, [(1, "X1"), (2, "X2")], ",")
    with tx() as s:
        codes.abort_import(s, job)
    with tx() as s:
        assert codes.count(s, sku) == 0 and s.get(CodeImport, job).status == "aborted"
        with pytest.raises(NotFound):
            codes.finish_import(s, job, 0)


def test_quote_uses_level_price_and_promotion(tx, make_product):
    sku = make_product(n_codes=1, price=1000, max_quantity=5)
    with tx() as s:
        pricing.set_level_price(s, "test", sku, "gold", 900)
        pricing.create_promotion(
            s,
            "test",
            sku,
            {
                "name": "weekend",
                "percent_off": 20,
                "weekdays": [6, 7],
                "starts": time(20, 0),
                "ends": time(22, 0),
                "timezone": "Asia/Shanghai",
            },
        )
    saturday_evening = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    with tx() as s:
        assert pricing.quote(s, sku, 2, at=monday) == {
            "sku": sku,
            "quantity": 2,
            "unit_price": 1000,
            "total": 2000,
            "currency": "CNY",
            "rule": {"kind": "base"},
            "delivery": "card",
            "category": "tests",
            "stock": 1,
        }
        assert pricing.quote(s, sku, 2, "gold", at=monday)["total"] == 1800
        promo = pricing.quote(s, sku, 3, "gold", at=saturday_evening)
        assert (promo["unit_price"], promo["total"], promo["rule"]["kind"]) == (800, 2400, "promotion")
        with pytest.raises(InvalidInput):
            pricing.quote(s, sku, 6)


def test_two_requests_for_one_order_at_once_take_its_codes_once(tx, make_product):
    sku = make_product(n_codes=6, max_quantity=3)
    order = unique("ORD")

    def request():
        with tx() as s:
            return stock.reserve(s, order, sku, 3, 600)["outcome"]

    pool = eventlet.GreenPool(4)
    assert list(pool.imap(lambda _: request(), range(4))) == ["reserved"] * 4
    with tx() as s:
        assert s.execute(select(func.count()).select_from(Code).where(Code.order_no == order)).scalar_one() == 3
    assert level(tx, sku) == (3, 3, 0)


def test_a_release_sent_before_a_re_reservation_leaves_it_alone(tx, make_product):
    sku = make_product(n_codes=1)
    order = unique("ORD")
    with tx() as s:
        stock.reserve(s, order, sku, 1, 600)
    sent_at = datetime.now(UTC)
    with tx() as s:
        stock.release(s, order)  # expiry
    with tx() as s:
        stock.reserve(s, order, sku, 1, 600)  # late payment: reserved again
    with tx() as s:
        assert stock.release(s, order, requested_at=sent_at)["released"] is False  # the old request
        assert s.get(Reservation, order).status == "held"


def test_stock_gauges_show_active_counted_skus_and_forget_deactivated_ones(tx, make_product):
    from prometheus_client import REGISTRY

    low, plenty = make_product(n_codes=2, threshold=5), make_product(n_codes=3, threshold=1)
    with tx() as s:
        products.report_stock(s)

    def gauge(name, sku):
        return REGISTRY.get_sample_value(name, {"sku": sku})

    assert (gauge("kameng_stock_available", low), gauge("kameng_stock_low_threshold", low)) == (2, 5)
    assert gauge("kameng_stock_available", plenty) == 3
    with tx() as s:
        products.update_product(s, "test", plenty, {"active": False})
        products.report_stock(s)
    assert gauge("kameng_stock_available", plenty) is None and gauge("kameng_stock_available", low) == 2


def test_a_replaced_code_is_retired_and_the_order_keeps_its_quantity_of_sold_codes(tx, engine, make_product):
    sku = make_product(n_codes=2)
    order, other = unique("ORD"), unique("ORD")
    with tx() as s:
        stock.reserve(s, order, sku, 1, 600)
        stock.commit(s, order)
    with tx() as s:
        [delivered] = replace.delivery_record(s, KEYS, "support", order, reveal=False)
        assert delivered["code"] == "•" * 8 and delivered["status"] == "sold"
    with tx() as s, pytest.raises(NotFound):
        replace.replace_code(s, "agent", other, delivered["id"], "not this order's")
    with tx() as s:
        done = replace.replace_code(s, "agent", order, delivered["id"], "used")
    assert done["retired"] == delivered["id"] and done["replacement"] != delivered["id"]
    assert level(tx, sku) == (0, 0, 1)  # the fresh code left the stock; one code sold to the order
    with tx() as s:
        assert [c["code"] for c in stock.codes_of(s, KEYS, order)] == [f"{sku}-CODE-1"]
        facts = integrity.integrity_facts(s, 1)
        assert facts["sold"][order] == 1
        with pytest.raises(Conflict):
            replace.replace_code(s, "agent", order, delivered["id"], "again")
    with tx() as s, pytest.raises(OutOfStock):
        replace.replace_code(s, "agent", order, done["replacement"], "no stock left")
    with tx() as s:  # the retired code is never taken by a reservation
        assert stock.reserve(s, other, sku, 1, 600)["outcome"] == "out_of_stock"

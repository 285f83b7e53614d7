"""What suppliers push, as the catalog takes it (services/catalog/domain/supply.py), against the
real PostgreSQL, and once through the real broker: a redelivered push imports once."""

import uuid
from datetime import UTC, datetime, timedelta

from nameko.standalone.events import event_dispatcher
from nameko.testing.services import entrypoint_waiter

from services.catalog.domain import stock, supply
from services.catalog.models import StockLevel
from services.catalog.service import CatalogService
from services.common.envelope import isoformat, make
from services.common.testing import unique
from services.supplier.batches import seal
from tests.integration.catalog.helpers import KEYS, outbox_events


def new_supplier_id():
    return uuid.uuid4().int % 10**12


def pushed(sku, supplier_id=None, at=None, **data):
    supplier_id = supplier_id or new_supplier_id()
    envelope = make("inventory_pushed", {"supplier_id": supplier_id, "batch_id": unique("b"), "sku": sku, **data})
    if at is not None:
        envelope["occurred_at"] = isoformat(at)
    return envelope


def availability(supplier_id, usable, at):
    envelope = make("supplier_availability_changed", {"supplier_id": supplier_id, "usable": usable})
    envelope["occurred_at"] = isoformat(at)
    return envelope


def available(tx, sku):
    with tx() as s:
        return s.get_one(StockLevel, sku).available


def counted(tx, make_product, start=0):
    sku = make_product(delivery="recharge")
    with tx() as s:
        stock.set_counted_stock(s, "test", sku, start)
    return sku


def test_a_redelivered_push_imports_once(config, container_factory, make_product, engine, tx):
    sku = make_product()
    container = container_factory(CatalogService, config)
    container.start()
    envelope = pushed(sku, 7, kind="codes", lines=seal(KEYS, [{"code": "RD-1"}, {"code": "RD-2", "secret": "pw"}]))
    for _ in range(2):  # the second is a redelivery
        with entrypoint_waiter(container, "handle_inventory_pushed"):
            event_dispatcher(config)("supplier", "inventory_pushed", envelope)
    assert available(tx, sku) == 2
    answers = [data for kind, data in outbox_events(engine, sku=sku) if kind == "inventory_imported"]
    assert answers == [
        {
            "supplier_id": 7,
            "batch_id": envelope["data"]["batch_id"],
            "sku": sku,
            "imported": 2,
            "duplicates": 0,
            "rejected": [],
        }
    ]


def test_codes_for_a_product_no_longer_taking_them_are_each_rejected(tx, make_product):
    sku = make_product(delivery="recharge")
    with tx() as s:
        answer = supply.on_inventory_pushed(s, pushed(sku, kind="codes", lines=seal(KEYS, [{"code": "X"}])), KEYS)
    assert (answer["imported"], answer["rejected"]) == (
        0,
        [{"line": 1, "reason": "only card and loop products hold codes"}],
    )


def test_a_report_replaces_the_last_and_an_older_one_changes_nothing(tx, make_product):
    sku, now, supplier_id = counted(tx, make_product, start=4), datetime.now(UTC), new_supplier_id()
    for level, at in [(10, now), (6, now + timedelta(seconds=1)), (50, now - timedelta(seconds=5))]:
        with tx() as s:
            supply.on_inventory_pushed(s, pushed(sku, supplier_id, at=at, kind="stock", stock=level), KEYS)
    assert available(tx, sku) == 4 + 6  # the admin's 4, and this supplier's latest report


def test_an_unusable_supplier_stops_counting_and_stale_news_is_dropped(tx, make_product):
    sku, now, supplier_id = counted(tx, make_product), datetime.now(UTC), new_supplier_id()
    with tx() as s:
        supply.on_inventory_pushed(s, pushed(sku, supplier_id, at=now, kind="stock", stock=9), KEYS)
    with tx() as s:
        supply.on_supplier_availability_changed(s, availability(supplier_id, False, now + timedelta(seconds=2)))
    assert available(tx, sku) == 0
    with tx() as s:  # sent before the one applied: changes nothing
        supply.on_supplier_availability_changed(s, availability(supplier_id, True, now + timedelta(seconds=1)))
    assert available(tx, sku) == 0
    with tx() as s:  # a report while unusable is kept, not counted
        supply.on_inventory_pushed(
            s, pushed(sku, supplier_id, at=now + timedelta(seconds=3), kind="stock", stock=4), KEYS
        )
    assert available(tx, sku) == 0
    with tx() as s:
        supply.on_supplier_availability_changed(s, availability(supplier_id, True, now + timedelta(seconds=4)))
    assert available(tx, sku) == 4


def test_a_level_taken_away_never_takes_the_stock_below_zero(tx, make_product):
    sku, now, supplier_id = counted(tx, make_product), datetime.now(UTC), new_supplier_id()
    with tx() as s:
        supply.on_inventory_pushed(s, pushed(sku, supplier_id, at=now, kind="stock", stock=3), KEYS)
    with tx() as s:
        assert stock.reserve(s, unique("ORD"), sku, 2, 600)["outcome"] == "reserved"
    with tx() as s:
        supply.on_inventory_pushed(
            s, pushed(sku, supplier_id, at=now + timedelta(seconds=1), kind="stock", stock=0), KEYS
        )
    with tx() as s:
        level = s.get_one(StockLevel, sku)
        assert (level.available, level.reserved) == (0, 2)

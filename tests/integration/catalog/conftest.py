import pytest
from sqlalchemy import select

from services.catalog.domain import codes, products
from services.catalog.models import metadata
from services.common.config import DEV_ENV
from services.common.crypto import DataKeys
from services.common.db import make_engine, transaction
from services.common.testing import unique

KEYS = DataKeys([DEV_ENV["KAMENG_DATA_KEY"]])


@pytest.fixture(scope="module")
def engine(database_url):
    engine = make_engine(database_url, pool_size=40, max_overflow=10)
    yield engine
    engine.dispose()


@pytest.fixture
def tx(engine):
    """`with tx() as session:` — one catalog transaction (outbox and audit rows allowed)."""
    return lambda: transaction(engine, metadata)


@pytest.fixture
def make_product(tx):
    def make(delivery="card", n_codes=0, threshold=0, max_quantity=10, price=1000):
        sku = unique("SKU")
        with tx() as s:
            products.create_product(s, "test", {
                "sku": sku, "name": f"Test {sku}", "category": "tests", "price": price, "currency": "CNY",
                "delivery": delivery, "min_quantity": 1, "max_quantity": max_quantity,
                "description": "", "low_stock_threshold": threshold})
        if n_codes:
            import_codes(tx, sku, [f"{sku}-CODE-{n}" for n in range(n_codes)])
        return sku
    return make


def import_codes(tx, sku, lines, separator=","):
    with tx() as s:
        job = codes.begin_import(s, "test", sku)["import_id"]
    with tx() as s:
        staged = codes.stage(s, KEYS, job, list(enumerate(lines, start=1)), separator)
    with tx() as s:
        return {**codes.finish_import(s, job, 0), "rejected": staged["rejected"]}


def outbox_events(engine, sku=None, order_no=None):
    table = metadata.tables["catalog.outbox"]
    with engine.connect() as conn:
        rows = conn.execute(select(table.c.type, table.c.envelope).order_by(table.c.id)).all()
    return [(t, e["data"]) for t, e in rows
            if (sku is None or e["data"].get("sku") == sku) and
            (order_no is None or e["data"].get("order_no") == order_no)]

import pytest

from services.catalog.domain import products
from services.catalog.models import metadata
from services.common.db import make_engine, transaction
from services.common.testing import unique
from tests.integration.catalog.helpers import import_codes


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
            products.create_product(
                s,
                "test",
                {
                    "sku": sku,
                    "name": f"Test {sku}",
                    "category": "tests",
                    "price": price,
                    "currency": "CNY",
                    "delivery": delivery,
                    "min_quantity": 1,
                    "max_quantity": max_quantity,
                    "description": "",
                    "low_stock_threshold": threshold,
                },
            )
        if n_codes:
            import_codes(tx, sku, [f"{sku}-CODE-{n}" for n in range(n_codes)])
        return sku

    return make

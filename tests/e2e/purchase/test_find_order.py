"""'Find my order' by contact + query password (services/order/lookup.py), through the real
order service, broker and database."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.common.errors import InvalidInput, NotFound
from services.common.testing import unique
from tests.e2e.purchase.helpers import buy, card_product, pay, wait_status


@pytest.fixture
def order_rpc(system):
    with ClusterRpcProxy(system, timeout=20) as cluster:
        yield cluster.order


def test_a_query_password_finds_the_contacts_orders_and_nothing_else(api, admin, order_rpc, database_url):
    contact = f"{unique('Find')}@Example.com"
    sku = card_product(admin, codes=3)
    first, second = (buy(api, sku, contact=contact).json() for _ in range(2))
    other = buy(api, sku, contact=f"x{contact}").json()
    for order in (first, second, other):
        order_rpc.set_lookup_password(order["order_no"], order["token"], "open sesame")
    found = order_rpc.find_orders(contact.upper(), "open sesame")  # contacts match case-insensitively
    assert [o["order_no"] for o in found] == [second["order_no"], first["order_no"]]  # newest first
    assert all("token" not in o and o["created_at"].endswith("Z") for o in found)
    assert order_rpc.find_orders(contact, "open sesamE") == []
    assert order_rpc.find_orders(f"nobody-{contact}", "open sesame") == []
    with create_engine(database_url).connect() as db:  # only a hash is stored
        stored = db.execute(
            text('SELECT password_hash FROM "order".lookup_passwords WHERE order_no = :n'), {"n": first["order_no"]}
        ).scalar_one()
    assert b"open sesame" not in bytes(stored) and len(stored) == 32


def test_only_the_token_holder_sets_the_password_and_it_must_be_long_enough(api, admin, order_rpc):
    order = buy(api, card_product(admin)).json()
    with pytest.raises(NotFound):
        order_rpc.set_lookup_password(order["order_no"], "not-the-token", "open sesame")
    with pytest.raises(InvalidInput):
        order_rpc.set_lookup_password(order["order_no"], order["token"], "short")
    with pytest.raises(InvalidInput):
        order_rpc.find_orders("not an email", "open sesame")


def test_buyer_order_shows_the_codes_once_delivered(api, admin, order_rpc):
    order = buy(api, card_product(admin, codes=1)).json()
    assert order_rpc.buyer_order(order["order_no"])["items"] == []
    pay(api, order)
    wait_status(api, order, "completed")
    assert order_rpc.buyer_order(order["order_no"])["items"][0]["secret"] == "pw0"
    figures = order_rpc.dashboard("2000-01-01T00:00:00+00:00")
    assert figures["sales_count"] >= 1 and figures["by_status"]["completed"] >= 1

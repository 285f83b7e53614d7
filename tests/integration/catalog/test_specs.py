"""Multi-spec products and wholesale tiers (issue 24) through the real broker and database: a
group's specs each a SKU with its own stock and price, the tier applied in the quote that comes
with the reservation, beside level prices and promotions."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from services.catalog.models import Product, WholesaleTier
from services.catalog.service import CatalogService
from services.common.errors import InvalidInput, NotFound
from services.common.testing import unique


@pytest.fixture
def cluster(config, container_factory):
    container_factory(CatalogService, config).start()
    with ClusterRpcProxy(config) as proxy:
        yield proxy.catalog


def spec(cluster, group_id, label, price, sort_order=0):
    sku = unique("SPEC")
    fields = {"sku": sku, "name": f"Card {label}", "category": "tests", "price": price, "delivery": "card"}
    cluster.create_product("test", {**fields, "group_id": group_id, "spec_label": label, "sort_order": sort_order})
    return sku


def test_a_group_shows_its_specs_each_a_sku_with_its_own_price_and_stock(cluster, tx, make_product):
    group = cluster.create_product_group("test", {"name": "Steam card", "description": "any region"})
    assert (group["name"], group["specs"]) == ("Steam card", [])
    big = spec(cluster, group["id"], "200 元", 20000, sort_order=2)
    small = spec(cluster, group["id"], "50 元", 5000, sort_order=0)
    mid = spec(cluster, group["id"], "100 元", 10000, sort_order=1)

    shown = cluster.get_product(mid)
    assert shown["group"] == {"id": group["id"], "name": "Steam card", "description": "any region"}
    assert shown["spec_label"] == "100 元"
    assert [(s["sku"], s["spec_label"], s["price"], s["stock"]) for s in shown["specs"]] == [
        (small, "50 元", 5000, 0),
        (mid, "100 元", 10000, 0),
        (big, "200 元", 20000, 0),
    ]
    assert "wholesale_tiers" not in shown  # none set

    cluster.update_product("test", big, {"active": False})  # an inactive spec leaves the page
    assert [s["sku"] for s in cluster.get_product(small)["specs"]] == [small, mid]
    assert [s["sku"] for s in cluster.get_product_group(group["id"])["specs"]] == [small, mid, big]

    listed = cluster.list_products({"q": small})["items"]
    assert [(p["sku"], p["group"]["id"], p["spec_label"]) for p in listed] == [(small, group["id"], "50 元")]

    alone = make_product()
    outside = cluster.get_product(alone)  # outside a group: DESIGN's product shape, nothing more
    assert not {"group", "spec_label", "specs", "wholesale_tiers"} & set(outside)
    cluster.update_product("test", alone, {"group_id": group["id"], "spec_label": "500 元"})
    assert alone in [s["sku"] for s in cluster.get_product(small)["specs"]]
    cluster.update_product("test", alone, {"group_id": None})
    assert alone not in [s["sku"] for s in cluster.get_product(small)["specs"]]

    renamed = cluster.update_product_group("test", group["id"], {"name": "Steam wallet"})
    assert renamed["name"] == "Steam wallet"
    assert cluster.get_product(small)["group"]["name"] == "Steam wallet"


def test_an_unknown_group_is_refused_and_nothing_is_written(cluster, tx, make_product):
    sku = unique("SPEC")
    fields = {"sku": sku, "name": "x", "category": "tests", "price": 100, "delivery": "card", "group_id": 10**12}
    with pytest.raises(InvalidInput) as refused:
        cluster.create_product("test", fields)
    assert refused.value.details == {"fields": {"group_id": ["no such product group"]}}
    with tx() as s:
        assert s.get(Product, sku) is None
    existing = make_product()
    with pytest.raises(InvalidInput):
        cluster.update_product("test", existing, {"group_id": 10**12, "spec_label": "50"})
    assert "spec_label" not in cluster.get_product(existing)
    with pytest.raises(NotFound):
        cluster.get_product_group(10**12)
    with pytest.raises(NotFound):
        cluster.update_product_group("test", 10**12, {"name": "y"})
    with pytest.raises(InvalidInput):
        cluster.create_product_group("test", {"name": ""})


def test_the_tier_applies_in_the_quote_with_the_reservation_beside_level_prices(cluster, make_product):
    sku = make_product(n_codes=60, max_quantity=40, price=1000)
    assert cluster.set_wholesale_tiers(
        "test", sku, [{"min_quantity": 20, "price": 850}, {"min_quantity": 10, "price": 900}]
    ) == {
        "sku": sku,
        "tiers": [{"min_quantity": 10, "price": 900}, {"min_quantity": 20, "price": 850}],
    }
    assert cluster.get_product(sku)["wholesale_tiers"] == [
        {"min_quantity": 10, "price": 900},
        {"min_quantity": 20, "price": 850},
    ]
    cluster.set_level_price("test", sku, "gold", 880)

    def reserved(quantity, **kw):
        q = cluster.reserve_quoted(unique("ORD"), sku, quantity, 600, **kw)
        return q["unit_price"], q["total"], q["rule"]

    assert reserved(9) == (1000, 9000, {"kind": "base"})
    assert reserved(10) == (900, 9000, {"kind": "wholesale", "min_quantity": 10})
    assert reserved(11) == (900, 9900, {"kind": "wholesale", "min_quantity": 10})
    assert reserved(9, level="gold")[2] == {"kind": "level", "level": "gold"}  # 880 below retail
    assert reserved(10, level="gold")[:2] == (880, 8800)  # the level's 880 beats the tier's 900
    assert cluster.quote(sku, 20, "gold")["rule"] == {"kind": "wholesale", "min_quantity": 20}  # 850 beats 880
    # an agent's order: its buying price, no tier (DESIGN §3)
    cluster.set_level_price("test", sku, "agent:gold", 950)
    assert cluster.quote(sku, 20, None, None, "gold")["unit_price"] == 950
    assert cluster.quote(sku, 20, None, None, "tin")["unit_price"] == 1000

    assert cluster.set_wholesale_tiers("test", sku, []) == {"sku": sku, "tiers": []}
    assert "wholesale_tiers" not in cluster.get_product(sku)
    assert cluster.quote(sku, 20)["rule"] == {"kind": "base"}


def test_the_tier_and_a_promotion_the_lowest_wins(cluster, make_product):
    sku = make_product(n_codes=0, max_quantity=40, price=1000)
    cluster.set_wholesale_tiers("test", sku, [{"min_quantity": 10, "price": 900}])
    daily = {"starts": "08:00", "ends": "20:00", "timezone": "UTC"}
    cluster.create_promotion("test", sku, {"name": "daily", "percent_off": 5, **daily})  # 950: above the tier
    noon = "2026-11-28T12:00:00+00:00"
    assert cluster.quote(sku, 9, None, noon)["rule"]["kind"] == "promotion"
    assert cluster.quote(sku, 10, None, noon)["rule"] == {"kind": "wholesale", "min_quantity": 10}
    cluster.create_promotion("test", sku, {"name": "deep", "price": 800, **daily})
    assert cluster.quote(sku, 10, None, noon)["unit_price"] == 800
    assert cluster.quote(sku, 10, None, "2026-11-28T21:00:00+00:00")["unit_price"] == 900  # after hours


@pytest.mark.parametrize(
    "tiers",
    [
        [{"min_quantity": 1, "price": 900}],  # a tier from one unit is a price, not a tier
        [{"min_quantity": 10, "price": 900}, {"min_quantity": 10, "price": 800}],
        [{"min_quantity": 10, "price": 900}, {"min_quantity": 20, "price": 950}],  # dearer as it rises
        [{"min_quantity": 10, "price": -1}],
        [{"min_quantity": 10.5, "price": 900}],
        [{"min_quantity": 10}],
    ],
)
def test_bad_tiers_are_refused_and_the_last_ones_kept(cluster, tx, make_product, tiers):
    sku = make_product()
    cluster.set_wholesale_tiers("test", sku, [{"min_quantity": 5, "price": 990}])
    with pytest.raises(InvalidInput):
        cluster.set_wholesale_tiers("test", sku, tiers)
    with tx() as s:
        assert s.scalar(select(func.count()).select_from(WholesaleTier).where(WholesaleTier.sku == sku)) == 1
    with pytest.raises(NotFound):
        cluster.set_wholesale_tiers("test", unique("NOSKU"), [])

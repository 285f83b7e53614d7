from datetime import UTC, datetime, time
from types import SimpleNamespace

import pytest

from services.catalog.domain.pricing import (
    agent_price,
    best_price,
    check_tiers,
    discounted,
    promotion_applies,
    tier_for,
)
from services.catalog.domain.products import agent_price_level
from services.common.errors import InvalidInput


def promo(**kw):
    base = {
        "id": 1,
        "name": "weekend",
        "active": True,
        "valid_from": None,
        "valid_until": None,
        "weekdays": [6, 7],
        "starts": time(20, 0),
        "ends": time(22, 0),
        "timezone": "Asia/Shanghai",
        "percent_off": 20,
        "price": None,
    }
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.mark.parametrize("base,percent,expected", [(1990, 15, 1692), (1000, 20, 800), (1, 50, 1), (3, 50, 2)])
def test_discount_rounds_half_up_to_the_fen(base, percent, expected):
    assert discounted(base, percent) == expected


def test_weekend_evening_window_in_local_time():
    saturday_2030 = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai
    assert promotion_applies(promo(), saturday_2030)
    assert not promotion_applies(promo(), datetime(2026, 11, 28, 14, 0, tzinfo=UTC))  # 22:00 end is exclusive
    assert promotion_applies(promo(), datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # 20:00 start inclusive
    assert not promotion_applies(promo(), datetime(2026, 11, 27, 12, 30, tzinfo=UTC))  # Friday
    assert not promotion_applies(promo(active=False), saturday_2030)


def test_window_across_midnight_and_validity_dates():
    late = promo(weekdays=[1, 2, 3, 4, 5, 6, 7], starts=time(23, 0), ends=time(1, 0))
    assert promotion_applies(late, datetime(2026, 11, 26, 15, 30, tzinfo=UTC))  # 23:30 local
    assert promotion_applies(late, datetime(2026, 11, 26, 16, 30, tzinfo=UTC))  # 00:30 local
    assert not promotion_applies(late, datetime(2026, 11, 26, 17, 30, tzinfo=UTC))  # 01:30 local
    at = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    assert not promotion_applies(promo(valid_from=datetime(2026, 12, 1, tzinfo=UTC)), at)
    assert not promotion_applies(promo(valid_until=at), at)
    assert promotion_applies(promo(valid_until=datetime(2026, 12, 1, tzinfo=UTC)), at)


def test_best_price_takes_the_lowest_applicable_rule():
    at = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)
    level = SimpleNamespace(level="gold", price=900)
    assert best_price(1000, None, [], at) == (1000, {"kind": "base"})
    assert best_price(1000, level, [], at) == (900, {"kind": "level", "level": "gold"})
    assert best_price(1000, level, [promo()], at) == (800, {"kind": "promotion", "promotion_id": 1, "name": "weekend"})
    assert best_price(1000, level, [promo(percent_off=None, price=950)], at)[0] == 900
    off_hours = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert best_price(1000, None, [promo()], off_hours) == (1000, {"kind": "base"})
    assert best_price(1000, SimpleNamespace(level="vip", price=1200), [], at) == (1000, {"kind": "base"})


def test_an_agent_level_pays_its_level_price_or_retail_never_a_promotion():
    """DESIGN §3: an agent's buying price is its level's price (even above retail), else retail."""
    assert agent_price_level("gold") == "agent:gold"
    gold = SimpleNamespace(level="agent:gold", price=700)
    assert agent_price(1000, gold) == (700, {"kind": "agent_level", "level": "agent:gold"})
    assert agent_price(1000, SimpleNamespace(level="agent:tin", price=1100))[0] == 1100
    assert agent_price(1000, None) == (1000, {"kind": "base"})


# Wholesale tiers (issue 24): from min_quantity units on, each unit costs the tier's price.
TIERS = [[10, 900], [50, 800]]


@pytest.mark.parametrize(
    "quantity,expected",
    [(1, None), (9, None), (10, (10, 900)), (11, (10, 900)), (49, (10, 900)), (50, (50, 800)), (51, (50, 800))],
)
def test_the_tier_a_quantity_reaches_starts_at_its_min_quantity(quantity, expected):
    assert tier_for(TIERS, quantity) == expected
    assert tier_for(list(reversed(TIERS)), quantity) == expected  # whatever order they come in


def test_no_tiers_no_tier():
    assert tier_for(None, 100) is None
    assert tier_for([], 100) is None


AT = datetime(2026, 11, 28, 12, 30, tzinfo=UTC)  # a Saturday 20:30 in Shanghai: promo() applies


@pytest.mark.parametrize(
    "quantity,unit,rule",
    [
        (9, 1000, {"kind": "base"}),
        (10, 900, {"kind": "wholesale", "min_quantity": 10}),
        (11, 900, {"kind": "wholesale", "min_quantity": 10}),
    ],
)
def test_the_tier_takes_over_from_retail_at_ten_units(quantity, unit, rule):
    assert best_price(1000, None, [], AT, tier_for([[10, 900]], quantity)) == (unit, rule)


def test_the_lowest_of_tier_level_and_promotion_wins():
    tier = tier_for([[10, 850]], 10)
    gold = SimpleNamespace(level="gold", price=870)
    assert best_price(1000, gold, [], AT, tier) == (850, {"kind": "wholesale", "min_quantity": 10})
    assert best_price(1000, SimpleNamespace(level="vip", price=820), [], AT, tier) == (
        820,
        {"kind": "level", "level": "vip"},
    )
    # promo(): 20 % off -> 800, below both
    assert best_price(1000, gold, [promo()], AT, tier) == (
        800,
        {"kind": "promotion", "promotion_id": 1, "name": "weekend"},
    )
    # a tier above retail never raises the price
    assert best_price(1000, None, [], AT, (10, 1100)) == (1000, {"kind": "base"})


def test_a_tie_keeps_the_rule_named_first_base_wholesale_level_promotion():
    assert best_price(1000, None, [], AT, (10, 1000)) == (1000, {"kind": "base"})
    tied_level = SimpleNamespace(level="gold", price=900)
    assert best_price(1000, tied_level, [], AT, (10, 900)) == (900, {"kind": "wholesale", "min_quantity": 10})
    tied_promo = promo(percent_off=None, price=900)
    assert best_price(1000, tied_level, [tied_promo], AT, (10, 900))[1]["kind"] == "wholesale"
    assert best_price(1000, tied_level, [tied_promo], AT)[1]["kind"] == "level"


def test_tiers_are_checked_distinct_and_cheaper_as_they_rise():
    assert check_tiers([{"min_quantity": 50, "price": 800}, {"min_quantity": 10, "price": 900}]) == [
        (10, 900),
        (50, 800),
    ]
    assert check_tiers([]) == []
    with pytest.raises(InvalidInput):
        check_tiers([{"min_quantity": 10, "price": 900}, {"min_quantity": 10, "price": 800}])
    with pytest.raises(InvalidInput):
        check_tiers([{"min_quantity": 10, "price": 900}, {"min_quantity": 20, "price": 900}])
    with pytest.raises(InvalidInput):
        check_tiers([{"min_quantity": 10, "price": 800}, {"min_quantity": 20, "price": 900}])

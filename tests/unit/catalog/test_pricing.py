from datetime import UTC, datetime, time
from types import SimpleNamespace

import pytest

from services.catalog.domain.pricing import agent_price, best_price, discounted, promotion_applies
from services.catalog.domain.products import agent_price_level


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

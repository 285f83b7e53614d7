"""The points rules, pure (services/order/points.py): what an order takes, what it earns."""

import pytest

from services.common.errors import InvalidInput
from services.order import points

TERMS = {"per_yuan": 1, "value_fen": 1, "max_percent": 50, "expire_days": 30}


def quote(total):
    return {"total": total, "unit_price": total, "rule": {"kind": "base"}}


def test_points_up_to_the_cap_share_of_the_total():
    assert points.usable(100, 1000, 1, 50) == 100
    assert points.usable(900, 1000, 1, 50) == 500  # more than the order takes: what it takes


def test_never_the_whole_total_nor_below_zero():
    assert points.usable(5000, 1000, 1, 100) == 999  # at least 0.01 is paid through a channel
    assert points.usable(10, 1, 1, 100) == 0
    assert points.usable(10, 0, 1, 100) == 0
    assert points.usable(-5, 1000, 1, 50) == 0
    assert points.usable(10, 1000, 1, 0) == 0


def test_whole_points_at_their_value():
    assert points.usable(100, 1000, 30, 50) == 16  # 16 × 0.30 = 4.80 ≤ 5.00, 17 would be 5.10


def test_apply_takes_the_points_off_after_the_quote_and_records_them():
    priced = points.apply(quote(1000), 300, 7, {**TERMS, "value_fen": 2})
    assert priced["total"] == 1000 - 250 * 2 and priced["points"] == 250
    assert priced["rule"]["points"] == {
        "used": 250,
        "value": 500,
        "before": 1000,
        "per_yuan": 1,
        "value_fen": 2,
        "expire_days": 30,
    }
    assert priced["rule"]["kind"] == "base"


def test_a_guest_has_no_points():
    assert points.apply(quote(1000), 0, None, TERMS) == quote(1000)
    with pytest.raises(InvalidInput):
        points.apply(quote(1000), 5, None, TERMS)


def test_a_member_order_without_points_still_records_its_earning_terms():
    priced = points.apply(quote(1000), 0, 7, TERMS)
    assert priced["total"] == 1000 and priced["rule"]["points"]["used"] == 0
    assert priced["rule"]["points"]["per_yuan"] == 1


def test_earned_per_yuan_paid_rounded_down():
    assert points.earned(1990, 1) == 19
    assert points.earned(1990, 3) == 59
    assert points.earned(1990, 0) == 0
    assert points.earned(-5, 2) == 0


def test_terms_from_the_config_are_bounded():
    assert points.terms({}) == {"per_yuan": 1, "value_fen": 1, "max_percent": 50, "expire_days": 365}
    assert points.terms({"POINTS_MAX_PERCENT": "250", "POINTS_VALUE_FEN": "0"})["max_percent"] == 100
    assert points.terms({"POINTS_VALUE_FEN": "0"})["value_fen"] == 1


def test_no_points_in_an_agents_store():
    from services.order.accept import Pricing

    in_store = Pricing(reserve=None, via={"agent_id": 3, "top_level": "gold"}, store_price=None)
    assert in_store.points({"points": 0}, quote(1000), {"id": 7}, TERMS) == quote(1000)  # no earning terms either
    with pytest.raises(InvalidInput):
        in_store.points({"points": 5}, quote(1000), {"id": 7}, TERMS)
    own = Pricing(reserve=None, via=None, store_price=None)
    assert own.points({"points": 5}, quote(1000), {"id": 7}, TERMS)["total"] == 995

"""Coupons' pure rules (services/catalog/domain/coupons.py, pricing.with_coupon): kinds, scope,
dates, threshold and limits at their boundaries, and how a coupon stacks on the unit price."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from services.catalog.domain import coupons, pricing
from services.common.errors import CouponUnavailable
from services.order.accept import coupon_buyer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def coupon(**over):
    base = {
        "id": 7,
        "code": "SAVE10",
        "kind": "amount",
        "amount_off": 1000,
        "percent_off": None,
        "max_off": None,
        "min_total": 0,
        "scope": "all",
        "scope_value": None,
        "valid_from": None,
        "valid_until": None,
        "single_use": False,
        "total_limit": None,
        "per_buyer_limit": None,
        "redeemed": 0,
        "active": True,
    }
    return SimpleNamespace(**{**base, **over})


def order(total=5000, sku="SKU-1", category="games"):
    return coupons.Order(sku, category, total)


def reason(c, o=None, at=NOW, used=0):
    with pytest.raises(CouponUnavailable) as exc:
        coupons.check(c, o or order(), at, used)
    assert exc.value.code == "coupon_unavailable"
    return exc.value.details["reason"]


def test_an_amount_off_applies_from_its_threshold_exactly():
    c = coupon(amount_off=1000, min_total=5000)
    assert coupons.check(c, order(5000), NOW) == 1000
    assert reason(c, order(4999)) == "below_threshold"


def test_an_amount_off_never_takes_the_total_below_zero():
    assert coupons.check(coupon(amount_off=1000), order(600), NOW) == 600


def test_a_percentage_rounds_half_up_to_the_fen_and_stops_at_its_cap():
    assert coupons.check(coupon(kind="percent", amount_off=None, percent_off=15), order(1990), NOW) == 299  # 298.5
    capped = coupon(kind="percent", amount_off=None, percent_off=50, max_off=2000)
    assert coupons.check(capped, order(3999), NOW) == 2000
    assert coupons.check(capped, order(4000), NOW) == 2000
    assert coupons.check(capped, order(3998), NOW) == 1999
    assert coupons.check(coupon(kind="percent", amount_off=None, percent_off=100), order(1234), NOW) == 1234


def test_a_coupon_is_valid_from_its_start_until_just_before_its_end():
    c = coupon(valid_from=NOW, valid_until=NOW + timedelta(hours=1))
    assert coupons.check(c, order(), NOW) == 1000
    assert coupons.check(c, order(), NOW + timedelta(hours=1) - timedelta(microseconds=1)) == 1000
    assert reason(c, at=NOW - timedelta(microseconds=1)) == "not_started"
    assert reason(c, at=NOW + timedelta(hours=1)) == "expired"


def test_unknown_and_deactivated_coupons_are_unavailable():
    assert reason(None) == "unknown"
    assert reason(coupon(active=False)) == "unknown"


def test_scope_a_sku_or_a_category():
    assert coupons.check(coupon(scope="sku", scope_value="SKU-1"), order(sku="SKU-1"), NOW) == 1000
    assert reason(coupon(scope="sku", scope_value="SKU-1"), order(sku="SKU-2")) == "not_applicable"
    assert coupons.check(coupon(scope="category", scope_value="games"), order(category="games"), NOW) == 1000
    assert reason(coupon(scope="category", scope_value="games"), order(category="phones")) == "not_applicable"
    assert reason(coupon(scope="category", scope_value="games"), order(category=None)) == "not_applicable"


def test_the_total_limit_counts_live_redemptions_up_to_the_last_one():
    assert coupons.check(coupon(total_limit=3, redeemed=2), order(), NOW) == 1000
    assert reason(coupon(total_limit=3, redeemed=3)) == "used_up"


def test_a_single_use_code_serves_one_order_whatever_its_total_limit():
    assert coupons.check(coupon(single_use=True), order(), NOW) == 1000
    assert reason(coupon(single_use=True, redeemed=1, total_limit=100)) == "used_up"


def test_the_per_buyer_limit_at_its_boundary():
    c = coupon(per_buyer_limit=2)
    assert coupons.check(c, order(), NOW, buyer_used=1) == 1000
    assert reason(c, used=2) == "buyer_limit"


def test_codes_are_case_insensitive_and_buyers_are_members_or_lower_case_emails():
    assert coupons.normalise("  save10 ") == "SAVE10"
    assert coupons.buyer_key(42, "A@B.CN") == "member:42"
    assert coupons.buyer_key(None, " A@B.CN ") == "email:a@b.cn"
    # the order service names the buyer the same way
    assert coupon_buyer({"id": 42}, {"contact": "A@B.CN"}) == "member:42"
    assert coupon_buyer({}, {"contact": "A@B.CN"}) == "email:a@b.cn"


def test_a_coupon_stacks_on_the_best_unit_price_and_is_kept_in_the_rule():
    promo = SimpleNamespace(
        id=1,
        name="night",
        active=True,
        valid_from=None,
        valid_until=None,
        timezone="UTC",
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        starts=time(0),
        ends=time(23, 59),
        price=800,
        percent_off=None,
    )
    unit, rule = pricing.best_price(1000, None, [promo], NOW)
    quote = {"unit_price": unit, "total": unit * 3, "rule": rule}
    c = coupon(amount_off=500, min_total=2400)  # the threshold is met by the promoted total (2400), not retail
    off = coupons.check(c, order(quote["total"]), NOW)
    priced = pricing.with_coupon(quote, {"code": "SAVE10", "coupon_id": 7, "discount": off})
    assert (priced["unit_price"], priced["subtotal"], priced["discount"], priced["total"]) == (800, 2400, 500, 1900)
    assert priced["rule"] == {**rule, "coupon": {"code": "SAVE10", "coupon_id": 7, "discount": 500}}


def test_with_coupon_never_goes_below_zero():
    priced = pricing.with_coupon(
        {"total": 300, "rule": {"kind": "base"}}, {"code": "X", "coupon_id": 1, "discount": 999}
    )
    assert (priced["total"], priced["discount"]) == (0, 300)

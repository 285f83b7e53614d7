"""Referral cashback's arithmetic and settings, pure (services/account/referrals.py)."""

from services.account import referrals


def test_cashback_is_a_percent_of_what_was_paid_rounded_down():
    assert referrals.cashback(990, 500) == 49
    assert referrals.cashback(990, 0) == 0
    assert referrals.cashback(-5, 500) == 0


def test_settings_from_the_config():
    assert referrals.settings({}) == {"basis_points": 500, "every_order": False}
    assert referrals.settings({"REFERRAL_CASHBACK_PERCENT": "2.5", "REFERRAL_EVERY_ORDER": "1"}) == {
        "basis_points": 250,
        "every_order": True,
    }
    assert referrals.settings({"REFERRAL_CASHBACK_PERCENT": "500"})["basis_points"] == 10_000


def test_the_codes_are_unambiguous():
    code = referrals.new_code()
    assert len(code) == 8 and not set(code) & set("01OI")

"""Risk's referral rule, pure (services/risk/rules.py `referral_refusal`)."""

from services.risk.rules import referral_refusal

A = {"id": 1, "email": "a@example.com", "signup_ip": "198.51.100.1", "signup_device": "dev-a", "chain": []}


def referred(**fields):
    return {"id": None, "email": "b@example.com", "ips": ["198.51.100.2"], "devices": ["dev-b"], **fields}


def test_an_unrelated_buyer_may_be_referred():
    assert referral_refusal(A, referred()) is None
    assert referral_refusal({**A, "signup_ip": None, "signup_device": None}, referred(ips=[], devices=[])) is None


def test_oneself_is_refused():
    assert referral_refusal(A, referred(id=1)) == "self_referral"


def test_the_referrers_contact_ip_or_device_is_refused():
    assert referral_refusal(A, referred(email=" A@Example.com")) == "same_contact"
    assert referral_refusal(A, referred(ips=["203.0.113.9", "198.51.100.1"])) == "same_ip"
    assert referral_refusal(A, referred(devices=["dev-a"])) == "same_device"


def test_rings_are_refused_at_any_length():
    assert referral_refusal({**A, "chain": [2]}, referred(id=2)) == "referral_ring"  # A refers B refers A
    assert referral_refusal({**A, "chain": [5, 4, 3, 2]}, referred(id=2)) == "referral_ring"
    assert referral_refusal({**A, "chain": [5, 4]}, referred(id=2)) is None


def test_each_judgement_is_counted_by_outcome():
    from services.common import metrics
    from services.risk import domain

    def seen(outcome):
        return metrics.RISK_REFERRALS.labels(outcome)._value.get()

    before = seen("referral_ring"), seen("allowed")
    assert domain.assess_referral({"referrer": {**A, "chain": [2]}, "referred": referred(id=2)}) == {
        "allowed": False,
        "reason": "referral_ring",
    }
    assert domain.assess_referral({"referrer": A, "referred": referred()}) == {"allowed": True, "reason": None}
    assert (seen("referral_ring"), seen("allowed")) == (before[0] + 1, before[1] + 1)

"""The rule engine as data: each rule fires just above its boundary and not at it."""

import pytest
from marshmallow import ValidationError

from services.risk import rules as engine
from services.risk.schemas import RuleSet

SIGNALS = {
    "order_no": "K1",
    "ip": "203.0.113.9",
    "device_id": "dev-1",
    "contact": "a@shop.example.com",
    "recharge_account": "13800000000",
    "category": "游戏点卡",
    "amount": 5000,
    "quantity": 2,
}


def rule_set(**rules):
    return RuleSet().load(rules)


def decide(rules, signals=SIGNALS, counts=None, **kw):
    return engine.evaluate(rules, signals, counts or {}, **kw)


def counted(rules, signals, n):
    """Every series the order feeds, seen `n` times (this order included)."""
    return dict.fromkeys(engine.series(rules, signals), n)


def test_nothing_configured_approves():
    assert decide(rule_set()) == ("approve", 0, [])


@pytest.mark.parametrize("dimension", engine.DIMENSIONS)
def test_velocity_fires_above_max_per_dimension(dimension):
    rules = rule_set(velocity=[{"dimension": dimension, "window_s": 60, "max": 3, "action": "reject"}])
    assert [s.key for s in engine.series(rules, SIGNALS)] == [f"{dimension}:{SIGNALS[engine.SIGNAL[dimension]]}"]
    assert decide(rules, counts=counted(rules, SIGNALS, 3))[0] == "approve"
    outcome, _score, fired = decide(rules, counts=counted(rules, SIGNALS, 4))
    assert outcome == "reject" and [f.rule for f in fired] == ["velocity"] and dimension in fired[0].reason


def test_velocity_without_the_signal_counts_nothing():
    rules = rule_set(velocity=[{"dimension": "device", "window_s": 60, "max": 0}])
    assert engine.series(rules, {**SIGNALS, "device_id": None}) == []


def test_two_windows_on_one_dimension_share_a_key_and_fire_separately():
    rules = rule_set(
        velocity=[
            {"dimension": "ip", "window_s": 60, "max": 2},
            {"dimension": "ip", "window_s": 3600, "max": 10, "action": "reject"},
        ]
    )
    minute, hour = engine.series(rules, SIGNALS)
    assert minute.key == hour.key
    assert decide(rules, counts={minute: 3, hour: 3})[0] == "review"
    assert decide(rules, counts={minute: 1, hour: 11})[0] == "reject"


@pytest.mark.parametrize("kind,field", [("amount", "amount"), ("quantity", "quantity")])
def test_thresholds_by_category(kind, field):
    at = SIGNALS[field]
    rules = rule_set(**{kind: [{"category": "游戏点卡", "above": at}]})
    assert decide(rules)[0] == "approve"
    assert decide(rules, {**SIGNALS, field: at + 1})[0] == "review"
    assert decide(rules, {**SIGNALS, field: at + 1, "category": "会员"})[0] == "approve"
    anywhere = rule_set(**{kind: [{"category": "*", "above": at - 1}]})
    assert decide(anywhere, {**SIGNALS, "category": "会员"})[0] == "review"


def test_unpaid_orders():
    rules = rule_set(unpaid={"max": 3, "action": "reject"})
    assert decide(rules, unpaid=3)[0] == "approve"
    assert decide(rules, unpaid=4)[0] == "reject"


def test_new_contact_above_a_value():
    rules = rule_set(new_contact={"above": 5000})
    assert decide(rules, known_contact=False)[0] == "approve"
    assert decide(rules, {**SIGNALS, "amount": 5001}, known_contact=False)[0] == "review"
    assert decide(rules, {**SIGNALS, "amount": 5001}, known_contact=True)[0] == "approve"


def test_small_orders_to_one_recharge_account():
    rules = rule_set(small_orders={"below": 5001, "window_s": 600, "max": 2})
    assert decide(rules, counts=counted(rules, SIGNALS, 2))[0] == "approve"
    assert decide(rules, counts=counted(rules, SIGNALS, 3))[1:] == (
        0,
        [engine.Fired("small_orders", "3 small orders to one recharge account in 600 s (max 2)", "review", 0)],
    )
    assert engine.series(rules, {**SIGNALS, "amount": 5001}) == []  # not small: not counted
    assert engine.series(rules, {**SIGNALS, "recharge_account": None}) == []


def test_repeat_category_by_contact_or_device():
    rules = rule_set(repeat_category={"window_s": 300, "max": 4})
    contact, device = engine.series(rules, SIGNALS)
    assert contact.key == "cat:contact:a@shop.example.com:游戏点卡" and device.key == "cat:device:dev-1:游戏点卡"
    assert decide(rules, counts={contact: 4, device: 4})[0] == "approve"
    assert decide(rules, counts={contact: 1, device: 5})[0] == "review"


def test_scores_add_up_to_the_thresholds():
    rules = rule_set(
        amount=[{"above": 0, "action": "score", "score": 30}],
        quantity=[{"above": 0, "action": "score", "score": 30}],
        review_score=60,
        reject_score=90,
    )
    assert decide(rules)[:2] == ("review", 60)
    just_below = rule_set(amount=[{"above": 0, "action": "score", "score": 59}], review_score=60)
    assert decide(just_below)[:2] == ("approve", 59)
    heavy = rule_set(
        amount=[{"above": 0, "action": "score", "score": 70}],
        quantity=[{"above": 0, "action": "score", "score": 70}],
        reject_score=100,
    )
    assert decide(heavy)[:2] == ("reject", 100)  # capped at 100


def test_blacklist_beats_allowlist_and_allowlist_skips_rules():
    rules = rule_set(amount=[{"above": 0, "action": "reject"}])
    assert decide(rules, listed=[("allow", "contact", "a@shop.example.com")])[0] == "approve"
    both = [("allow", "contact", "a@shop.example.com"), ("block", "cidr", "203.0.113.0/24")]
    outcome, score, fired = decide(rules, listed=both)
    assert (outcome, score, [f.rule for f in fired]) == ("reject", 100, ["blacklist"])


def test_list_candidates_cover_parent_domains_case_insensitively():
    pairs = engine.list_candidates({**SIGNALS, "contact": "A@Mail.Shop.Example.COM"})
    assert ("contact", "a@mail.shop.example.com") in pairs
    assert {v for k, v in pairs if k == "email_domain"} == {"mail.shop.example.com", "shop.example.com", "example.com"}
    assert ("device", "dev-1") in pairs and ("ip", "203.0.113.9") in pairs


@pytest.mark.parametrize(
    "bad",
    [
        {"velocity": [{"dimension": "ip", "window_s": 60}]},
        {"amount": [{"above": 1.5}]},
        {"unpaid": {"max": -1}},
        {"review_score": 80, "reject_score": 70},
        {"nope": 1},
    ],
)
def test_rule_sets_are_validated(bad):
    with pytest.raises(ValidationError):
        RuleSet().load(bad)

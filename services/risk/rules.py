"""The rule engine, pure: signals + the rule set + what the counters and lists say -> a decision.

A rule set is a JSON document (validated by `schemas.RuleSet`, versioned in `risk.rule_sets`):

    velocity        [{dimension: ip|device|contact|recharge_account, window_s, max, action, score}]
    amount          [{category ("*" = any), above (minor units), action, score}]
    quantity        [{category, above, action, score}]
    unpaid          {max, action, score}               unpaid orders one contact holds (stock hoarding)
    new_contact     {above, action, score}             first order of a contact never seen paying
    small_orders    {below, window_s, max, action, score}   many small orders to one recharge account
    repeat_category {window_s, max, action, score}     one identity buying one category again and again
    review_score, reject_score                          score thresholds

Every count includes the order being assessed, and a rule fires when it is above the rule's
`max` (the max+1-th order fires) or, for amounts and quantities, when the value is above `above`.
A fired rule adds its score (sum capped at 100); its action says what it forces at least:
`score` (nothing), `review`, or `reject`. The outcome is the strongest of the actions and of the
thresholds the score reaches. Blacklists reject whatever else holds; allowlists approve.
"""

from collections import namedtuple
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

OUTCOMES = ("approve", "review", "reject")
DIMENSIONS = ("ip", "device", "contact", "recharge_account")
SIGNAL = {"ip": "ip", "device": "device_id", "contact": "contact", "recharge_account": "recharge_account"}
LIST_KINDS = ("ip", "cidr", "contact", "device", "recharge_account", "email_domain")
MAX_SCORE = 100

DEFAULT_RULES: dict[str, Any] = {
    "velocity": [],
    "amount": [],
    "quantity": [],
    "unpaid": None,
    "new_contact": None,
    "small_orders": None,
    "repeat_category": None,
    "review_score": 50,
    "reject_score": 100,
}

# a counter the rules need: a named series of order timestamps, counted over `window_s`
Series = namedtuple("Series", "name key window_s")

Fired = namedtuple("Fired", "rule reason action score")


def series(rules: Mapping[str, Any], signals: Mapping[str, Any]) -> list[Series]:
    """The counters this order feeds and reads (a key is only there when its signal is)."""
    wanted = []
    for rule in rules["velocity"]:
        value = signals.get(SIGNAL[rule["dimension"]])
        if value:
            wanted.append(Series(f"velocity:{rule['dimension']}", f"{rule['dimension']}:{value}", rule["window_s"]))
    small = rules["small_orders"]
    if small and signals.get("recharge_account") and signals.get("amount", 0) < small["below"]:
        wanted.append(Series("small_orders", f"small:{signals['recharge_account']}", small["window_s"]))
    repeat = rules["repeat_category"]
    if repeat and signals.get("category"):
        for dimension in ("contact", "device"):
            value = signals.get(SIGNAL[dimension])
            if value:
                wanted.append(
                    Series(
                        f"repeat_category:{dimension}",
                        f"cat:{dimension}:{value}:{signals['category']}",
                        repeat["window_s"],
                    )
                )
    return wanted


def evaluate(
    rules: Mapping[str, Any],
    signals: Mapping[str, Any],
    counts: Mapping[Series, int],
    unpaid: int = 0,
    known_contact: bool = True,
    listed: Sequence[tuple[str, str, str]] = (),
) -> tuple[str, int, list[Fired]]:
    """(outcome, score, [Fired]). `counts` maps each Series to its count (this order included),
    `unpaid` counts the contact's unpaid orders (this one included), `listed` holds
    (list, kind, value) rows matching the order's signals."""
    blocked = [
        Fired("blacklist", f"{kind} is blacklisted", "reject", MAX_SCORE) for name, kind, _ in listed if name == "block"
    ]
    if blocked:
        return "reject", MAX_SCORE, blocked
    allowed = [Fired("allowlist", f"{kind} is allowlisted", "score", 0) for name, kind, _ in listed if name == "allow"]
    if allowed:
        return "approve", 0, allowed
    fired = _counted(rules, counts) + _valued(rules, signals, unpaid, known_contact)
    score = min(MAX_SCORE, sum(f.score for f in fired))
    return _outcome(rules, score, fired), score, fired


def _counted(rules: Mapping[str, Any], counts: Mapping[Series, int]) -> list[Fired]:
    fired = []
    by_name: dict[str, list[tuple[Series, int]]] = {}
    for s, count in counts.items():
        by_name.setdefault(s.name, []).append((s, count))
    for rule in rules["velocity"]:
        for s, count in by_name.get(f"velocity:{rule['dimension']}", ()):
            if s.window_s == rule["window_s"] and count > rule["max"]:
                fired.append(
                    _fire(
                        "velocity",
                        rule,
                        f"{count} orders from one {rule['dimension']} in {rule['window_s']} s (max {rule['max']})",
                    )
                )
    small = rules["small_orders"]
    for _, count in by_name.get("small_orders", ()):
        if count > small["max"]:
            fired.append(
                _fire(
                    "small_orders",
                    small,
                    f"{count} small orders to one recharge account in {small['window_s']} s (max {small['max']})",
                )
            )
    repeat = rules["repeat_category"]
    for name in ("repeat_category:contact", "repeat_category:device"):
        for _, count in by_name.get(name, ()):
            if count > repeat["max"]:
                fired.append(
                    _fire(
                        "repeat_category",
                        repeat,
                        f"{count} orders of one category by one {name.split(':')[1]} in {repeat['window_s']} s",
                    )
                )
    return fired


def _valued(rules: Mapping[str, Any], signals: Mapping[str, Any], unpaid: int, known_contact: bool) -> list[Fired]:
    fired = []
    category, amount, quantity = signals.get("category"), signals.get("amount", 0), signals.get("quantity", 0)
    for kind, value in (("amount", amount), ("quantity", quantity)):
        for rule in rules[kind]:
            if rule["category"] in ("*", category) and value > rule["above"]:
                fired.append(_fire(kind, rule, f"{kind} {value} above {rule['above']} for {rule['category']}"))
    if rules["unpaid"] and unpaid > rules["unpaid"]["max"]:
        fired.append(_fire("unpaid", rules["unpaid"], f"{unpaid} unpaid orders held (max {rules['unpaid']['max']})"))
    first = rules["new_contact"]
    if first and not known_contact and amount > first["above"]:
        fired.append(
            _fire("new_contact", first, f"first order of a new contact, amount {amount} above {first['above']}")
        )
    return fired


def _fire(name: str, rule: Mapping[str, Any], reason: str) -> Fired:
    return Fired(name, reason, rule.get("action", "review"), rule.get("score", 0))


def _outcome(rules: Mapping[str, Any], score: int, fired: Iterable[Fired]) -> str:
    actions = {f.action for f in fired}
    if "reject" in actions or score >= rules["reject_score"]:
        return "reject"
    if "review" in actions or score >= rules["review_score"]:
        return "review"
    return "approve"


def list_candidates(signals: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, normalised value) pairs an order's signals could match on a list (CIDRs apart)."""
    pairs = []
    for kind in ("ip", "device", "recharge_account"):
        if signals.get(SIGNAL[kind]):
            pairs.append((kind, str(signals[SIGNAL[kind]])))
    contact = (signals.get("contact") or "").lower()
    if contact:
        pairs.append(("contact", contact))
        labels = contact.rpartition("@")[2].split(".")
        pairs += [("email_domain", ".".join(labels[i:])) for i in range(len(labels) - 1)]
    return pairs


# -- referrals (issue 22) ------------------------------------------------------------------------

REFERRAL_REASONS = ("self_referral", "same_contact", "same_ip", "same_device", "referral_ring")


def referral_refusal(referrer: Mapping[str, Any], referred: Mapping[str, Any]) -> str | None:
    """Why a referral may not stand, or None. `referrer`: {"id", "email", "signup_ip",
    "signup_device", "chain": the ids of who referred them, and so on up, nearest first};
    `referred`: {"id" (None at sign-up), "email", "ips", "devices"} (the sign-up's and the
    request's). Refused: oneself; the same contact e-mail; the IP or device the referrer signed up
    from; a ring (the referred is the referrer, or is above them: A refers B refers A, or longer)."""
    if referred.get("id") is not None and referred["id"] == referrer["id"]:
        return "self_referral"
    if referred.get("id") is not None and referred["id"] in (referrer.get("chain") or ()):
        return "referral_ring"
    mine, theirs = (referrer.get("email") or "").strip().lower(), (referred.get("email") or "").strip().lower()
    if mine and mine == theirs:
        return "same_contact"
    if referrer.get("signup_ip") and referrer["signup_ip"] in (referred.get("ips") or ()):
        return "same_ip"
    if referrer.get("signup_device") and referrer["signup_device"] in (referred.get("devices") or ()):
        return "same_device"
    return None

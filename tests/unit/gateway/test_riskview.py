"""The risk pages' pure helpers: rules shown readably, the editor's text and its errors, review clocks."""

from datetime import UTC, datetime, timedelta

from gateway import i18n, riskview
from services.risk.rules import DEFAULT_RULES, LIST_KINDS

RULES = {
    **DEFAULT_RULES,
    "velocity": [{"dimension": "ip", "window_s": 60, "max": 5, "action": "review", "score": 10}],
    "amount": [{"category": "*", "above": 150000, "action": "reject", "score": 0}],
    "small_orders": {"below": 500, "window_s": 3600, "max": 3, "action": "score", "score": 20},
}


def test_configured_rules_become_rows_with_money_shown_as_money():
    rows = riskview.rule_rows(RULES)
    assert [r["kind"] for r in rows] == ["velocity", "amount", "small_orders"]
    assert rows[0]["condition"] == [("dimension", "ip"), ("window_s", 60), ("max", 5)]
    assert rows[1]["condition"] == [("category", "*"), ("above", "1500.00")] and rows[1]["action"] == "reject"
    assert ("below", "5.00") in rows[2]["condition"] and rows[2]["score"] == 20
    assert riskview.rule_rows(DEFAULT_RULES) == []


def test_the_editor_text_must_be_a_json_object():
    assert riskview.parse_rules('{"velocity": []}') == ({"velocity": []}, None)
    document, errors = riskview.parse_rules('{"velocity": [}')
    assert document is None and "malformed JSON" in errors[0] and "line 1, column 15" in errors[0]
    assert riskview.parse_rules("[1, 2]")[1] == ["the rule set must be a JSON object"]
    assert "longer than" in riskview.parse_rules(" " * (riskview.MAX_RULES_TEXT + 1))[1][0]
    assert riskview.parse_rules(riskview.pretty(RULES))[0] == RULES


def test_field_errors_are_flattened_to_paths():
    messages = {
        "velocity": {"1": {"max": ["Missing data for required field."]}, "0": {"window_s": ["Not a valid integer."]}},
        "review_score": ["review_score must not exceed reject_score"],
        "_schema": ["Invalid input type."],
        "nope": ["Unknown field."],
    }
    assert riskview.field_errors(messages) == [
        ("rules", "Invalid input type."),
        ("nope", "Unknown field."),
        ("review_score", "review_score must not exceed reject_score"),
        ("velocity[0].window_s", "Not a valid integer."),
        ("velocity[1].max", "Missing data for required field."),
    ]
    assert riskview.field_errors("invalid input") == [("rules", "invalid input")]


def test_review_clocks():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert riskview.seconds_left((now + timedelta(seconds=1234)).isoformat().replace("+00:00", "Z"), now) == 1234
    assert riskview.seconds_left((now - timedelta(seconds=5)).isoformat(), now) == 0
    assert riskview.seconds_left(None) is None
    assert [riskview.clock(s) for s in (0, 1234, 3 * 3600 + 61, None)] == ["00:00", "20:34", "3:01:01", "—"]


def test_every_rule_action_signal_and_list_kind_has_words():
    rule_names = set(riskview.LISTED_RULES + riskview.SINGLE_RULES) | {"blacklist", "allowlist", "counters_unavailable"}
    keys = (
        {f"admin.risk.kind.{n}" for n in rule_names}
        | {f"admin.risk.act.{a}" for a in ("score", "review", "reject")}
        | {f"admin.risk.list_kind.{k}" for k in LIST_KINDS}
        | {
            f"admin.risk.signal.{s}"
            for s in (
                "contact",
                "ip",
                "device_id",
                "user_agent",
                "recharge_account",
                "category",
                "payment_channel",
                "member_id",
            )
        }
    )
    for lang, words in i18n.LANGUAGES.items():
        assert keys <= set(words), (lang, sorted(keys - set(words)))

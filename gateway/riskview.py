"""Pure helpers of the admin console's risk pages: a rule set shown readably, the rule editor's
text read and its errors flattened, the time left in a review window."""

import json
from datetime import UTC, datetime

from gateway.http import check_shape
from services.common.errors import InvalidInput
from services.common.money import format_minor

# rule kinds in the order the rule set document (services/risk/rules.py) lists them
LISTED_RULES = ("velocity", "amount", "quantity")
SINGLE_RULES = ("unpaid", "new_contact", "small_orders", "repeat_category")
MONEY_FIELDS = {"amount": ("above",), "new_contact": ("above",), "small_orders": ("below",)}
MAX_RULES_TEXT = 100_000


def rule_rows(rule_set):
    """[{"kind", "condition": [(field, shown value)], "action", "score"}] for every configured rule."""
    rows = []
    for kind in LISTED_RULES + SINGLE_RULES:
        rules = rule_set.get(kind) or []
        for rule in rules if isinstance(rules, list) else [rules]:
            money = MONEY_FIELDS.get(kind, ())
            condition = [
                (name, format_minor(value) if name in money else value)
                for name, value in rule.items()
                if name not in ("action", "score")
            ]
            rows.append(
                {"kind": kind, "condition": condition, "action": rule.get("action"), "score": rule.get("score")}
            )
    return rows


def pretty(rule_set):
    return json.dumps(rule_set, ensure_ascii=False, indent=2, sort_keys=False)


def parse_rules(text):
    """The editor's text as a JSON object: (document, None) or (None, [error lines])."""
    if len(text) > MAX_RULES_TEXT:
        return None, [f"the rule set is longer than {MAX_RULES_TEXT} characters"]
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        return None, [f"malformed JSON: {getattr(exc, 'msg', exc)}{where}"]
    if not isinstance(document, dict):
        return None, ["the rule set must be a JSON object"]
    try:
        check_shape(document)
    except InvalidInput as exc:
        return None, [exc.message]
    return document, None


def field_errors(messages, path=""):
    """A validation error's `fields` ({"velocity": {"0": {"max": ["..."]}}}) as sorted
    ("velocity[0].max", "...") pairs."""
    if isinstance(messages, str):
        return [(path or "rules", messages)]
    if isinstance(messages, list):
        return [pair for message in messages for pair in field_errors(message, path)]
    if isinstance(messages, dict):
        pairs = []
        for key in sorted(messages, key=lambda k: (not str(k).isdigit(), int(k) if str(k).isdigit() else 0, str(k))):
            sub = f"{path}[{key}]" if str(key).isdigit() else (f"{path}.{key}" if path else str(key))
            pairs += field_errors(messages[key], "" if key == "_schema" and not path else sub)
        return pairs
    return [(path or "rules", str(messages))]


def seconds_left(hold_until, now=None):
    """Seconds until an ISO timestamp (0 once past; None without one)."""
    if not hold_until:
        return None
    end = datetime.fromisoformat(hold_until.replace("Z", "+00:00"))
    return max(0, int((end - (now or datetime.now(UTC))).total_seconds()))


def clock(seconds):
    """1234 -> "20:34"; 3 h and more -> "3:00:00"."""
    if seconds is None:
        return "—"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"

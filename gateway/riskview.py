"""Pure helpers of the admin console's risk pages: a rule set shown readably, the rule editor's
text read and its errors flattened, the time left in a review window."""

import json
from datetime import UTC, datetime
from typing import Any

from gateway.http import check_shape
from services.common.errors import InvalidInput
from services.common.money import format_minor, parse_minor

# rule kinds in the order the rule set document (services/risk/rules.py) lists them
LISTED_RULES = ("velocity", "amount", "quantity")
DIMENSIONS = ("ip", "device", "contact", "recharge_account")  # services/risk/rules.py
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


# The rule form (issue 23): each rule a row of fields named "<kind>.<row>.<field>" (a single rule:
# row 0), amounts in yuan. Empty rows are no rules; a list gets BLANK_ROWS empty rows to add to.
FORM_FIELDS = {
    "velocity": ("dimension", "window_s", "max", "action", "score"),
    "amount": ("category", "above", "action", "score"),
    "quantity": ("category", "above", "action", "score"),
    "unpaid": ("max", "action", "score"),
    "new_contact": ("above", "action", "score"),
    "small_orders": ("below", "window_s", "max", "action", "score"),
    "repeat_category": ("window_s", "max", "action", "score"),
}
CHOSEN = ("dimension", "action")  # selects: always sent, they do not make a row filled in
TEXT_FIELDS = ("dimension", "category", "action")
BLANK_ROWS = 2
MAX_FORM_ROWS = 200
SCORES = ("review_score", "reject_score")


def form_rows(rule_set):
    """{kind: [{field: shown text}]} for the form: the rule set's rules (amounts in yuan), then
    BLANK_ROWS empty rows for each list; a single rule has one row, empty when it is off."""
    rows = {}
    for kind, names in FORM_FIELDS.items():
        configured = rule_set.get(kind) or []
        rules = configured if isinstance(configured, list) else [configured]
        money = MONEY_FIELDS.get(kind, ())
        shown = [
            {n: ("" if rule.get(n) is None else format_minor(rule[n]) if n in money else str(rule[n])) for n in names}
            for rule in rules
        ]
        blanks = BLANK_ROWS if kind in LISTED_RULES else max(0, 1 - len(shown))
        rows[kind] = shown + [dict.fromkeys(names, "") for _ in range(blanks)]
    return rows


def posted_rows(form):
    """The posted form as form_rows shapes it (to show it again with its errors), with blank rows."""
    rows = {}
    for kind, names in FORM_FIELDS.items():
        kept = []
        for index in range(MAX_FORM_ROWS if kind in LISTED_RULES else 1):
            row = {n: form.get(f"{kind}.{index}.{n}", "").strip()[:100] for n in names}
            if f"{kind}.{index}.{names[0]}" not in form and f"{kind}.{index}.{names[-1]}" not in form:
                break
            if any(row[n] for n in names if n not in CHOSEN):
                kept.append(row)
        blanks = BLANK_ROWS if kind in LISTED_RULES else max(0, 1 - len(kept))
        rows[kind] = kept + [dict.fromkeys(names, "") for _ in range(blanks)]
    return rows


def parse_form(form):
    """The rule form as a rule set document for the risk service: (document, []) or (None,
    [(path, message)]). Amounts in yuan become minor units; whole numbers are checked here,
    everything else by the risk service's schema."""
    document: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    rows = posted_rows(form)
    for kind, names in FORM_FIELDS.items():
        rules = []
        for index, row in enumerate(r for r in rows[kind] if any(r[n] for n in names if n not in CHOSEN)):
            rule, path = {}, f"{kind}[{index}]" if kind in LISTED_RULES else kind
            for name in names:
                value = row[name]
                if value == "":
                    continue
                if name in TEXT_FIELDS:
                    rule[name] = value
                elif name in MONEY_FIELDS.get(kind, ()):
                    try:
                        rule[name] = parse_minor(value)
                    except ValueError:
                        errors.append((f"{path}.{name}", "an amount in yuan, such as 9.90"))
                elif value.lstrip("-").isdigit():
                    rule[name] = int(value)
                else:
                    errors.append((f"{path}.{name}", "a whole number"))
            rules.append(rule)
        document[kind] = rules if kind in LISTED_RULES else (rules[0] if rules else None)
    for name in SCORES:
        value = form.get(name, "").strip()[:12]
        if value.lstrip("-").isdigit():
            document[name] = int(value)
        elif value:
            errors.append((name, "a whole number"))
    return (None, errors) if errors else (document, [])

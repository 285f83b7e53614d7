"""Risk's admin API (gateway/routes/admin_risk.py) and console pages. The bodies are checked here
for shape and bounds; the risk service checks each rule and list value itself (its refusal is the
same 400 `validation_error`), so the gateway keeps no copy of its rules."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import Timestamp


def _rules(most):
    return fields.List(
        fields.Dict(), validate=validate.Length(max=most), metadata={"description": "rules checked by the risk service"}
    )


def _rule():
    return fields.Dict(allow_none=True, metadata={"description": "a rule checked by the risk service"})


class RuleSet(Schema):
    """The whole rule set; what is left out takes its default (nothing configured)."""

    velocity = _rules(50)
    amount = _rules(200)
    quantity = _rules(200)
    unpaid, new_contact, small_orders, repeat_category = _rule(), _rule(), _rule(), _rule()
    review_score = fields.Integer(strict=True, validate=validate.Range(1, 100))
    reject_score = fields.Integer(strict=True, validate=validate.Range(1, 100))


class NewListEntry(Schema):
    kind = fields.String(
        required=True,
        validate=validate.Length(1, 32),
        metadata={"description": "ip, cidr, contact, device, recharge_account or email_domain"},
    )
    value = fields.String(required=True, validate=validate.Length(1, 254))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class ReviewAction(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class RiskDecision(Schema):
    order_no = fields.String()
    outcome = fields.String(metadata={"enum": ["approve", "review", "reject"]})
    score = fields.Integer()
    rules = fields.List(fields.Dict(), metadata={"description": "fired rules: rule, reason, action, score"})
    rules_version = fields.Integer(allow_none=True)
    signals = fields.Dict()
    at = fields.String()
    hold_until = Timestamp(allow_none=True)
    resolution = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = Timestamp(allow_none=True)
    note = fields.String(allow_none=True)


class RiskRules(Schema):
    version = fields.Integer(metadata={"description": "0: the built-in default (nothing configured)"})
    rules = fields.Dict()
    actor = fields.String(allow_none=True)
    at = fields.String(allow_none=True)


class RiskRuleVersions(Schema):
    items = fields.List(fields.Nested(RiskRules))


class RiskListEntry(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = fields.String()
    note = fields.String(allow_none=True)
    actor = fields.String()
    at = fields.String()


class RiskListEntries(Schema):
    items = fields.List(fields.Nested(RiskListEntry))


class RiskReviews(Schema):
    items = fields.List(fields.Nested(RiskDecision))

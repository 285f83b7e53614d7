"""The agents' admin API (issue 19, gateway/routes/admin_agents.py): the tree, agent levels,
markups, keys, wallets and withdrawals. Shapes and bounds only; the account service holds the
rules (depth limit, markups within the parent's limits, balances). Money is a decimal string; a
wallet adjustment's may be negative (a debit)."""

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from gateway.schemas.common import Money, Timestamp
from services.common.money import format_minor, parse_minor

LEVEL = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$", error="letters, digits, . _ - (max 32)")
BP = validate.Range(0, 100_000)
SIGNED = re.compile(r"^-?\d+(\.\d{1,2})?$")


class SignedMoney(fields.Field):
    """A decimal string that may start with "-" ("-9.90") <-> signed integer minor units."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(type="string", pattern=SIGNED.pattern, example="-9.90")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_minor(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not SIGNED.match(value):
            raise ValidationError('a decimal string such as "100.00" or "-9.90"')
        try:
            minor = parse_minor(value.removeprefix("-"))
        except ValueError:
            raise ValidationError('a decimal string such as "100.00" or "-9.90"') from None
        return -minor if value.startswith("-") else minor


class NewAgent(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 80))
    contact = fields.String(required=True, validate=validate.Length(1, 200))
    parent = fields.Integer(strict=True, allow_none=True, load_default=None, metadata={"description": "an agent id"})
    level = fields.String(required=True, validate=LEVEL, metadata={"description": "an agent level's name"})


class AgentChanges(Schema):
    status = fields.String(validate=validate.OneOf(["active", "disabled"]))
    level = fields.String(validate=LEVEL)
    ip_allowlist = fields.List(
        fields.String(validate=validate.Length(1, 64)),
        validate=validate.Length(max=50),
        metadata={"description": "CIDRs the agent's signed calls may come from; empty: anywhere"},
    )
    credit_limit = Money(metadata={"description": "how far below zero the wallet may be spent"})
    markup_bp = fields.Integer(
        strict=True, validate=BP, metadata={"description": "markup on its buying price when selling to sub-agents"}
    )
    sub_markup_min_bp = fields.Integer(strict=True, validate=BP, metadata={"description": "sub-agents' lowest markup"})
    sub_markup_max_bp = fields.Integer(strict=True, validate=BP, metadata={"description": "sub-agents' highest markup"})


class Agent(Schema):
    id = fields.Integer()
    name = fields.String()
    contact = fields.String()
    parent = fields.Integer(allow_none=True)
    level = fields.String()
    top_level = fields.String(metadata={"description": "the level of the root of this agent's chain"})
    depth = fields.Integer()
    status = fields.String(metadata={"enum": ["active", "disabled"]})
    ip_allowlist = fields.List(fields.String())
    markup_bp = fields.Integer()
    sub_markup_min_bp = fields.Integer()
    sub_markup_max_bp = fields.Integer()
    balance = SignedMoney(metadata={"description": "the wallet; below zero only as debt or credit"})
    pending = Money(metadata={"description": "commissions inside their settlement window"})
    currency = fields.String()
    created_at = Timestamp()


class AgentList(Schema):
    items = fields.List(fields.Nested(Agent))


class AgentQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    parent = fields.Integer(metadata={"description": "only this agent's sub-agents"})


class NewAgentKey(Schema):
    key_id = fields.String()
    secret = fields.String(metadata={"description": "shown only in this answer"})


class AgentKey(Schema):
    key_id = fields.String()
    status = fields.String(metadata={"enum": ["active", "revoked"]})
    created_at = Timestamp()
    revoked_at = Timestamp(allow_none=True)


class AgentKeys(Schema):
    items = fields.List(fields.Nested(AgentKey))


class WalletAdjustment(Schema):
    amount = SignedMoney(required=True, metadata={"description": "positive credits the wallet, negative debits it"})
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class Wallet(Schema):
    balance = SignedMoney()
    currency = fields.String()


class StatementLine(Schema):
    id = fields.Integer()
    kind = fields.String()
    order_no = fields.String(allow_none=True)
    memo = fields.String(allow_none=True)
    amount = SignedMoney()
    balance = SignedMoney(metadata={"description": "the wallet after this line"})
    created_at = Timestamp()


class Statement(Schema):
    items = fields.List(fields.Nested(StatementLine))
    next_before = fields.Integer(allow_none=True)


class StatementQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    before = fields.Integer(load_default=None)


class CommissionLine(Schema):
    order_no = fields.String()
    amount = Money()
    status = fields.String(metadata={"enum": ["held", "pending", "settled", "cancelled", "clawed_back"]})
    settle_after = Timestamp(allow_none=True)
    created_at = Timestamp()


class Commissions(Schema):
    items = fields.List(fields.Nested(CommissionLine))


class AgentLevelSet(Schema):
    rank = fields.Integer(required=True, strict=True, validate=validate.Range(0, 1_000_000))


class AgentLevel(Schema):
    name = fields.String()
    rank = fields.Integer()
    price_level = fields.String(metadata={"description": "the catalog's level price name for it"})


class AgentLevelList(Schema):
    items = fields.List(fields.Nested(AgentLevel))


class Withdrawal(Schema):
    id = fields.Integer()
    agent_id = fields.Integer()
    amount = Money()
    status = fields.String(metadata={"enum": ["requested", "approved", "rejected"]})
    note = fields.String(allow_none=True)
    created_at = Timestamp()
    reviewed_at = Timestamp(allow_none=True)


class WithdrawalList(Schema):
    items = fields.List(fields.Nested(Withdrawal))


class WithdrawalQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.OneOf(["requested", "approved", "rejected"]))
    agent_id = fields.Integer()


class WithdrawalReview(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

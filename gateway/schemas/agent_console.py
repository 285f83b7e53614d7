"""The agent console's forms (issue 19, gateway/routes/agent_pages.py): shapes and bounds only;
the account service holds the rules (markups within limits, the tree's depth, balances)."""

from marshmallow import RAISE, Schema, fields, validate

from gateway.schemas.common import Money

BP = validate.Range(0, 100_000)


class Form(Schema):
    class Meta:
        unknown = RAISE


class AgentSignInForm(Form):
    key_id = fields.String(required=True, validate=validate.Length(1, 64))
    secret = fields.String(required=True, validate=validate.Length(1, 128))


class WithdrawalForm(Form):
    amount = Money(required=True)


class SubAgentForm(Form):
    name = fields.String(required=True, validate=validate.Length(1, 80))
    contact = fields.String(required=True, validate=validate.Length(1, 200))
    markup_bp = fields.Integer(load_default=0, validate=BP)
    sub_markup_max_bp = fields.Integer(load_default=0, validate=BP)


class StoreForm(Form):
    store_name = fields.String(load_default="", validate=validate.Length(max=80))
    slug = fields.String(load_default="", validate=validate.Regexp(r"^([a-z0-9][a-z0-9-]{1,31})?$"))
    retail_markup_bp = fields.Integer(load_default=0, validate=BP)
    markup_bp = fields.Integer(load_default=0, validate=BP)

"""Order RPC payloads (this service's own copies)."""

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common.addresses import named_domain

CHANNELS = ["sandbox", "epay", "alipay", "wechat", "usdt"]


class CreateOrder(Schema):
    sku = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10_000))
    contact = fields.Email(required=True, validate=[validate.Length(max=254), named_domain])
    payment_channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    recharge_account = fields.String(load_default=None, validate=validate.Length(1, 64))
    coupon = fields.String(load_default=None, validate=validate.Length(1, 64))
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(0, 1_000_000_000))  # a member's


class AgentOrder(Schema):
    """An agent's order by the open API (DESIGN §6): paid from its wallet, idempotent by its own id."""

    agent_order_id = fields.String(required=True, validate=validate.Regexp(r"^[\x21-\x7e]{1,64}$"))
    sku = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10_000))
    recharge_account = fields.String(load_default=None, validate=validate.Length(1, 64))


class Agent(Schema):
    """Who the gateway authenticated (the account service's authenticate_agent answer)."""

    class Meta:
        unknown = EXCLUDE

    agent_id = fields.Integer(required=True, strict=True)
    top_level = fields.String(required=True, validate=validate.Length(1, 32))


class Search(Schema):
    status = fields.String(load_default=None)
    contact = fields.String(load_default=None)
    sku = fields.String(load_default=None)
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.String(load_default=None)


class LookupCredentials(Schema):
    """Find my order: the contact given at checkout and the query password chosen there."""

    contact = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(6, 64))

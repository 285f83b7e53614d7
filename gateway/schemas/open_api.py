"""The distributor open API's HTTP shapes (DESIGN §6 `/api/v1/open/...`, gateway/routes/open_api.py).
Validated after the signature (a 401 comes before a 400); unknown fields are rejected."""

from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.schemas.admin_agents import SignedMoney
from gateway.schemas.catalog import ProductList
from gateway.schemas.common import QUANTITY, SKU, Money
from gateway.schemas.orders import OrderItem

AGENT_ORDER_ID = validate.Regexp(r"^[\x21-\x7e]{1,64}$", error="1-64 printable ASCII characters, no spaces")


class OpenProductQuery(Schema):
    class Meta:
        unknown = EXCLUDE  # stray query parameters are ignored (they are signed all the same)

    category = fields.String(validate=validate.Length(1, 64))
    q = fields.String(validate=validate.Length(1, 64))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    cursor = fields.String(validate=[validate.Length(1, 256), validate.Regexp(r"^[A-Za-z0-9_-]+$")])


class OpenProductList(ProductList):
    """The public product list, `price` being this agent's buying price."""


class NewAgentOrder(Schema):
    agent_order_id = fields.String(
        required=True,
        validate=AGENT_ORDER_ID,
        metadata={"description": "the agent's own order id: sending it again answers the same order"},
    )
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    recharge_account = fields.String(
        validate=validate.Length(1, 64), metadata={"description": "recharge goods only: the account to recharge"}
    )


class AgentOrder(Schema):
    order_no = fields.String()
    agent_order_id = fields.String()
    status = fields.String(metadata={"description": "the order's state (DESIGN §3), lowercase", "example": "paid"})
    amount = Money(metadata={"description": "what the wallet paid"})
    currency = fields.String()
    sku = fields.String()
    quantity = fields.Integer()
    items = fields.List(fields.Nested(OrderItem), metadata={"description": "the codes, once delivered"})


class Balance(Schema):
    balance = SignedMoney(metadata={"description": "below zero only as a debt (a refund after a settled commission)"})
    pending = Money(metadata={"description": "commissions earned, withdrawable after the settlement window"})
    currency = fields.String()

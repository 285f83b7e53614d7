"""Orders (gateway/routes/orders.py): buying, looking an order up, the admin's orders and refunds.
The states are the order service's (services/order/saga.py): no list of them here."""

from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.schemas.admin_risk import RiskDecision
from gateway.schemas.common import QUANTITY, SKU, Money, Timestamp, UtcDateTime
from services.common.addresses import named_domain

CHANNELS = ["sandbox", "epay", "alipay", "wechat", "usdt"]


class NewOrder(Schema):
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=QUANTITY)
    contact = fields.Email(required=True, validate=[validate.Length(max=254), named_domain])
    payment_channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    recharge_account = fields.String(validate=validate.Length(1, 64))
    coupon = fields.String(validate=validate.Length(1, 64))
    points = fields.Integer(
        strict=True,
        validate=validate.Range(0, 1_000_000_000),
        metadata={
            "description": "a signed-in member's points to spend (issue 22): taken off the total after any "
            "coupon, at most the share of the total the shop allows; more than the member holds is 409 "
            "`insufficient_balance`; a guest may not send it (400)"
        },
    )


class PaymentInfo(Schema):
    channel = fields.String()
    payment_no = fields.String()
    pay_url = fields.String(allow_none=True)


class OrderItem(Schema):
    code = fields.String()
    secret = fields.String(allow_none=True)


MAX_WAIT_S = 20


class OrderWait(Schema):
    """GET /orders/{no}?status=awaiting_payment&wait=15: while the order is still in `status`,
    hold the answer up to `wait` seconds for it to move (a long poll, instead of asking often)."""

    status = fields.String(validate=validate.Length(1, 32), metadata={"example": "awaiting_payment"})
    wait = fields.Float(load_default=0, validate=validate.Range(0, MAX_WAIT_S))


class SandboxPaid(Schema):
    paid = fields.Boolean(required=True)
    payment_no = fields.String(required=True)


class Order(Schema):
    order_no = fields.String()
    status = fields.String(
        metadata={"description": "the order's state (DESIGN §3), lowercase", "example": "awaiting_payment"}
    )
    amount = Money()
    currency = fields.String()
    expires_at = Timestamp()
    payment = fields.Nested(PaymentInfo, allow_none=True)
    sku = fields.String()
    quantity = fields.Integer()
    reason = fields.String(allow_none=True)
    coupon = fields.String(allow_none=True, metadata={"description": "the coupon the order used (upper case)"})
    discount = Money(allow_none=True, metadata={"description": "taken off the total by the coupon"})
    points_used = fields.Integer(metadata={"description": "a member's points that paid part of the total"})
    items = fields.List(fields.Nested(OrderItem))


class CreatedOrder(Order):
    token = fields.String(metadata={"description": "keep it: it is the only key to this order"})


class Transition(Schema):
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String()
    event = fields.String()
    data = fields.Dict()
    at = fields.String()


class AdminOrder(Order):
    class Meta:
        exclude = ("items",)  # codes are revealed through the audited code listing only

    contact = fields.String()
    unit_price = Money()
    price_rule = fields.Dict()
    late = fields.Boolean()
    recharge_account = fields.String(allow_none=True)
    created_at = Timestamp()
    paid_at = Timestamp(allow_none=True)
    completed_at = Timestamp(allow_none=True)
    codes_shown_at = Timestamp(allow_none=True, metadata={"description": "when the buyer first saw the codes"})
    timeline = fields.List(fields.Nested(Transition))
    risk = fields.Nested(RiskDecision, allow_none=True, metadata={"description": "the risk decision and why"})


class OrderQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    status = fields.String(validate=validate.Length(1, 32))
    contact = fields.String(validate=validate.Length(1, 254))
    sku = fields.String(validate=validate.Length(1, 64))
    since = UtcDateTime()
    until = UtcDateTime()
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.String(validate=validate.Length(1, 64))


class OrderSummary(AdminOrder):
    class Meta:
        exclude = ("items", "timeline", "risk")


class OrderList(Schema):
    items = fields.List(fields.Nested(OrderSummary))


class Refund(Schema):
    reason = fields.String(load_default="refund by merchant", validate=validate.Length(1, 200))
    amount = Money(
        metadata={
            "description": "part of the payment to refund; absent (or all that is left): the "
            "whole order is refunded and becomes `refunded`"
        }
    )


class RefundInfo(Schema):
    refund_no = fields.String()
    amount = Money()
    status = fields.String(metadata={"enum": ["refunding", "refunded", "refund_failed", "superseded"]})
    error = fields.String(allow_none=True)


class RefundedOrder(Order):
    refund = fields.Nested(
        RefundInfo,
        allow_none=True,
        metadata={
            "description": "a partial refund (null when the whole order is refunded "
            "through its saga: follow the order's status)"
        },
    )


# One instance of each schema on the buyers' hot paths: building a Schema costs more than using it
# (instances are stateless between loads and dumps).
NEW_ORDER, ORDER_WAIT, ORDER, CREATED_ORDER = NewOrder(), OrderWait(), Order(), CreatedOrder()

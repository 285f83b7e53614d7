"""Payments' admin API (gateway/routes/payments.py)."""

from marshmallow import Schema, fields, validate

from gateway.schemas.common import Money, Timestamp
from gateway.schemas.orders import RefundInfo


class ReconciliationQuery(Schema):
    days = fields.Integer(load_default=7, validate=validate.Range(1, 90))


class Mismatch(Schema):
    kind = fields.String(metadata={"enum": ["settled_by_reconciliation", "rejected_payment", "refund_failed"]})
    channel = fields.String(allow_none=True)
    payment_no = fields.String(allow_none=True)
    order_no = fields.String(allow_none=True)
    amount = Money(allow_none=True)
    detail = fields.String()
    at = fields.String()


class ReconciliationReport(Schema):
    items = fields.List(fields.Nested(Mismatch))
    refused_notifications = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "unverifiable notifications per channel"},
    )


class AdminRefund(RefundInfo):
    whole = fields.Boolean(metadata={"description": "the order's own refund (its saga), not a partial one"})
    attempts = fields.Integer()
    reason = fields.String()
    created_at = Timestamp()
    finished_at = Timestamp(allow_none=True)


class PaymentNotification(Schema):
    outcome = fields.String()
    verified = fields.Boolean()
    source = fields.String(metadata={"enum": ["notify", "reconciliation", "by_hand"]})
    at = fields.String()


class AdminPayment(Schema):
    payment_no = fields.String()
    order_no = fields.String()
    channel = fields.String()
    status = fields.String(metadata={"enum": ["pending", "closed", "paid", "refunding", "refunded"]})
    amount = Money()
    refunded_amount = Money()
    currency = fields.String()
    channel_trade_no = fields.String(allow_none=True)
    pay_url = fields.String(allow_none=True)
    created_at = Timestamp()
    paid_at = Timestamp(allow_none=True)
    refunds = fields.List(fields.Nested(AdminRefund))
    notifications = fields.List(fields.Nested(PaymentNotification))


class ConfirmByHand(Schema):
    trade_no = fields.String(
        required=True,
        validate=validate.Length(1, 64),
        metadata={"description": "the channel's own trade number, as its merchant records show the money"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "why by hand: what was checked, where (audited)"},
    )

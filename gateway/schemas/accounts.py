"""Buyer accounts and member levels (gateway/routes/accounts.py, admin_accounts.py): the HTTP
shapes only; the formats (e-mail, phone, look-alike names, ID numbers, password policy) are the
account service's to judge."""

from marshmallow import EXCLUDE, Schema, fields, validate

from gateway.schemas.common import Money
from gateway.schemas.orders import Order


class Registration(Schema):
    email = fields.String(validate=validate.Length(1, 254), metadata={"description": "an e-mail, or a phone, or both"})
    phone = fields.String(validate=validate.Length(1, 32), metadata={"example": "+8613800138000"})
    name = fields.String(validate=validate.Length(1, 64), metadata={"description": "display name (optional)"})
    password = fields.String(required=True, validate=validate.Length(1, 256))
    referral_code = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$"),
        metadata={"description": "a referrer's code (else the /r/<code> link's cookie), issue 22"},
    )


class BuyerSignIn(Schema):
    login = fields.String(required=True, validate=validate.Length(1, 254), metadata={"description": "e-mail or phone"})
    password = fields.String(required=True, validate=validate.Length(1, 256))


class LinkToken(Schema):
    token = fields.String(required=True, validate=validate.Length(1, 128))


class ResetRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))


class ResetConfirm(Schema):
    token = fields.String(required=True, validate=validate.Length(1, 128))
    password = fields.String(required=True, validate=validate.Length(1, 256))


class CampaignMailsForm(Schema):
    campaign_mails = fields.Boolean(
        required=True, metadata={"description": "mail me when a timed campaign starts (issue 22)"}
    )


class RealNameForm(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64), metadata={"description": "姓名"})
    id_number = fields.String(
        required=True, validate=validate.Length(1, 32), metadata={"description": "居民身份证号码"}
    )


class RealNameShown(Schema):
    name = fields.String(metadata={"example": "张*"})
    id_number = fields.String(metadata={"example": "1101**********1234"})
    verified_at = fields.String(allow_none=True)


class Buyer(Schema):
    id = fields.Integer()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    email_verified = fields.Boolean()
    level = fields.String(allow_none=True)
    total_spent = Money()
    real_name = fields.Nested(RealNameShown, allow_none=True)
    campaign_mails = fields.Boolean()
    created_at = fields.String(allow_none=True)


class AccountDone(Schema):
    ok = fields.Boolean()


class AccountOrder(Order):
    created_at = fields.String()


class AccountOrders(Schema):
    items = fields.List(fields.Nested(AccountOrder))


class MemberLevel(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 32), metadata={"example": "gold"})
    threshold = Money(required=True, metadata={"description": "total spent on completed orders to reach it"})
    created_at = fields.String(dump_only=True)


class MemberLevelChange(Schema):
    threshold = Money(required=True)


class MemberLevelList(Schema):
    items = fields.List(fields.Nested(MemberLevel))


class AdminBuyer(Schema):
    id = fields.Integer()
    email = fields.String(allow_none=True, metadata={"description": "partly masked"})
    phone = fields.String(allow_none=True, metadata={"description": "partly masked"})
    name = fields.String(allow_none=True)
    email_verified = fields.Boolean()
    level = fields.String(allow_none=True)
    total_spent = Money()
    real_name_verified = fields.Boolean()
    created_at = fields.String()


class AdminBuyerList(Schema):
    items = fields.List(fields.Nested(AdminBuyer))


class BuyerQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(validate=validate.Length(1, 64), metadata={"description": "part of the e-mail, phone or name"})
    level = fields.String(validate=validate.Length(1, 32))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.Integer(validate=validate.Range(1, 2**62), metadata={"description": "ids below this (paging)"})


# -- points and referrals (issue 22) ---------------------------------------------------------------


class PointEntry(Schema):
    kind = fields.String(metadata={"description": "earn, spend, release, reverse or expire"})
    points = fields.Integer(metadata={"description": "signed: + to the member, - from them"})
    order_no = fields.String(allow_none=True)
    at = fields.String()


class PointExpiry(Schema):
    at = fields.String()
    points = fields.Integer()


class MemberPoints(Schema):
    balance = fields.Integer(metadata={"description": "points held now (not expired)"})
    next_expiry = fields.Nested(PointExpiry, allow_none=True)
    entries = fields.List(fields.Nested(PointEntry))


class ReferralCashback(Schema):
    kind = fields.String(metadata={"description": "referral_cashback, or referral_cashback_reversed"})
    order_no = fields.String(allow_none=True)
    amount = Money()
    at = fields.String()


class ReferredBuyer(Schema):
    buyer_id = fields.Integer()
    at = fields.String()


class ReferralShown(Schema):
    code = fields.String()
    link = fields.String(metadata={"description": "share it: /r/<code> remembers the code for sign-up"})
    referred_by = fields.Integer(allow_none=True)
    referrals = fields.List(fields.Nested(ReferredBuyer))
    wallet = Money(metadata={"description": "cashback received (a reversal may leave it below zero)"})
    cashback = fields.List(fields.Nested(ReferralCashback))


class ReferralBind(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,16}$"))

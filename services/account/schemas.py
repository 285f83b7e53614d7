"""Account RPC payloads (this service's own copies; the gateway keeps the HTTP ones). Bounds on
every field; the formats (e-mail, phone, names, ID number) are checked by identity.py."""

from marshmallow import Schema, fields, validate

LEVEL_NAME = validate.Regexp(
    r"^[^\s\x00-\x1f][^\x00-\x1f]{0,31}$", error="1 to 32 characters, not starting with a space"
)


class Register(Schema):
    email = fields.String(load_default=None, validate=validate.Length(1, 254))
    phone = fields.String(load_default=None, validate=validate.Length(1, 32))
    name = fields.String(load_default=None, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 256))


class SignIn(Schema):
    login = fields.String(required=True, validate=validate.Length(1, 254))
    password = fields.String(required=True, validate=validate.Length(1, 256))


class ResetRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))


class Reset(Schema):
    token = fields.String(required=True, validate=validate.Length(1, 128))
    password = fields.String(required=True, validate=validate.Length(1, 256))


class RealName(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    id_number = fields.String(required=True, validate=validate.Length(1, 32))


class CampaignMails(Schema):
    campaign_mails = fields.Boolean(required=True)


class Level(Schema):
    name = fields.String(required=True, validate=LEVEL_NAME)
    threshold = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**12))


class BuyerQuery(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    level = fields.String(load_default=None, validate=validate.Length(max=32))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))
    before = fields.Integer(load_default=None, validate=validate.Range(1, 2**62))

"""The staff RPCs' payloads (issue 18), the account service's own copies."""

import ipaddress

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from services.account.staff import ROLES


class Strict(Schema):
    class Meta:
        unknown = RAISE


class NewStaff(Strict):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(required=True, validate=validate.Length(max=512))

    @validates("email")
    def no_ip_literal(self, value, **kwargs):
        domain = value.rsplit("@", 1)[-1].strip("[]")
        try:
            ipaddress.ip_address(domain.removeprefix("IPv6:"))
        except ValueError:
            return
        raise ValidationError("use an address with a domain name, not an IP address")


class FirstOwner(NewStaff):
    role = fields.String(load_default="owner", validate=validate.Equal("owner"))


class StaffChanges(Strict):
    role = fields.String(validate=validate.OneOf(ROLES))
    disabled = fields.Boolean()


class NewToken(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True, validate=validate.Length(min=1))


class PasswordChange(Strict):
    current_password = fields.String(required=True, validate=validate.Length(max=512))
    new_password = fields.String(required=True, validate=validate.Length(max=512))


class Credential(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(("bearer", "session")))
    token = fields.String(required=True)

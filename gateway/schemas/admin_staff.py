"""Staff (issue 18): the admin API's bodies and answers for staff accounts, their sessions and
their API tokens (gateway/routes/admin_staff.py). The account service checks the rules itself
(password policy, roles a token may have)."""

from marshmallow import Schema, fields, validate

ROLE = fields.String(required=True, validate=validate.OneOf(("owner", "operator", "support", "finance")))


class NewStaff(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    role = ROLE
    password = fields.String(required=True, validate=validate.Length(max=512), load_only=True)


class StaffChanges(Schema):
    role = fields.String(validate=validate.OneOf(("owner", "operator", "support", "finance")))
    disabled = fields.Boolean()


class StaffMember(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    totp = fields.Boolean(metadata={"description": "TOTP set up"})
    disabled = fields.Boolean()
    locked = fields.Boolean(metadata={"description": "locked for a while after failed sign-ins"})
    created_at = fields.String()


class StaffList(Schema):
    items = fields.List(fields.Nested(StaffMember))


class StaffSession(Schema):
    ip = fields.String(allow_none=True)
    created_at = fields.String()
    expires_at = fields.String()


class StaffSessions(Schema):
    items = fields.List(fields.Nested(StaffSession))


class SessionsEnded(Schema):
    ended = fields.Integer()


class Me(Schema):
    name = fields.String()
    role = fields.String()
    roles = fields.List(fields.String(), metadata={"description": "what this credential may act as"})
    kind = fields.String(metadata={"description": "session, token or bootstrap"})
    ip = fields.String()


class PasswordChange(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=512))
    new_password = fields.String(required=True, validate=validate.Length(max=512))


class NewApiToken(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    roles = fields.List(ROLE, required=True, validate=validate.Length(min=1, max=4))


class ApiToken(Schema):
    id = fields.Integer()
    name = fields.String()
    roles = fields.List(fields.String())
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True)
    revoked = fields.Boolean()
    token = fields.String(metadata={"description": "only in the answer that creates it"})


class ApiTokens(Schema):
    items = fields.List(fields.Nested(ApiToken))

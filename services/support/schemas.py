"""Support payloads (RPC): new tickets, replies, statuses, the SLA policy, the queue's filters."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from services.support.tickets import CATEGORIES, LANGUAGES, PRIORITIES, STATUSES

TEXT = validate.Length(1, 5000)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class NewTicket(Strict):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    message = fields.String(required=True, validate=TEXT)
    subject = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 120))
    priority = fields.String(load_default="normal", validate=validate.OneOf(PRIORITIES))
    language = fields.String(load_default="zh", validate=validate.OneOf(LANGUAGES))


class Reply(Strict):
    body = fields.String(required=True, validate=TEXT)


class Status(Strict):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


class Credentials(Strict):
    """How a buyer proves an order is theirs: its token, the signed-in member it belongs to, or a
    find-my-order grant (`found`: the gateway's grant, given after the order service checked the
    buyer's contact and lookup password, the same grant the order page is shown for)."""

    token = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 256))
    buyer_id = fields.Integer(load_default=None, allow_none=True)
    found = fields.Boolean(load_default=False)


class Staff(Strict):
    """The acting staff member: the audit text and the name shown on their messages."""

    actor = fields.String(required=True, validate=validate.Length(1, 300))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    staff_id = fields.Integer(load_default=None, allow_none=True)


class Upload(Strict):
    filename = fields.String(load_default=None, allow_none=True, validate=validate.Length(0, 200))
    content_type = fields.String(required=True, validate=validate.Length(1, 200))
    content = fields.String(required=True)  # base64 (RPC payloads are JSON)


class Policy(Strict):
    category = fields.String(required=True, validate=validate.OneOf((*CATEGORIES, "*")))
    priority = fields.String(required=True, validate=validate.OneOf((*PRIORITIES, "*")))
    respond_s = fields.Integer(required=True, strict=True, validate=validate.Range(60, 30 * 86400))
    warn_s = fields.Integer(required=True, strict=True, validate=validate.Range(30, 30 * 86400))

    @validates_schema
    def warn_before_due(self, data, **kwargs):
        if data["warn_s"] >= data["respond_s"]:
            raise ValidationError("the warning comes before the answer is due", "warn_s")


class Queue(Strict):
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    escalated = fields.Boolean(load_default=False)
    assignee_id = fields.Integer(load_default=None, allow_none=True)
    order_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))


class Refund(Strict):
    reason = fields.String(load_default="ticket", validate=validate.Length(1, 500))


class ReplaceCode(Refund):
    code_id = fields.Integer(required=True, strict=True, validate=validate.Range(1))

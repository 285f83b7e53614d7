"""Support tickets (gateway/routes/support.py): the bodies' shape and bounds. The support service
checks categories, statuses and SLA policies itself (its refusal is the same 400)."""

from marshmallow import Schema, fields, validate

TEXT = validate.Length(1, 5000)
WORD = validate.Length(1, 32)


class NewTicket(Schema):
    category = fields.String(
        required=True,
        validate=WORD,
        metadata={"description": "code_invalid, not_received, recharge_failed, refund_request or other"},
    )
    message = fields.String(required=True, validate=TEXT)
    subject = fields.String(validate=validate.Length(1, 120))
    priority = fields.String(validate=WORD, metadata={"description": "low, normal (default), high or urgent"})
    language = fields.String(validate=WORD, metadata={"description": "zh (default) or en: the replies' language"})


class TicketReply(Schema):
    body = fields.String(required=True, validate=TEXT)


class TicketStatus(Schema):
    status = fields.String(
        required=True,
        validate=WORD,
        metadata={"description": "open, waiting_on_buyer, waiting_on_supplier, resolved or closed"},
    )


class TicketAssign(Schema):
    staff_id = fields.Integer(
        allow_none=True, metadata={"description": "a support or owner staff id; null unassigns; absent: me"}
    )


class ShortcutReason(Schema):
    reason = fields.String(load_default="ticket", validate=validate.Length(1, 500))


class ReplaceCode(ShortcutReason):
    code_id = fields.Integer(required=True, strict=True, metadata={"description": "the delivered code to retire"})


class DeliveredCode(Schema):
    id = fields.Integer()
    sku = fields.String()
    code = fields.String(metadata={"description": "masked unless revealed (an audited action)"})
    secret = fields.String(allow_none=True)
    expires_on = fields.String(allow_none=True)
    status = fields.String(
        metadata={"description": "sold, retired (replaced by support), or loop (one code given to every order)"}
    )
    sold_at = fields.String(allow_none=True)
    retired_at = fields.String(allow_none=True)
    retired_by = fields.String(allow_none=True)
    retired_reason = fields.String(allow_none=True)


class DeliveryRecord(Schema):
    items = fields.List(fields.Nested(DeliveredCode))


class RechargeAttempt(Schema):
    seq = fields.Integer()
    supplier_id = fields.Integer()
    supplier = fields.String()
    outcome = fields.String(metadata={"description": "pending, succeeded, failed or unknown"})
    reason = fields.String(allow_none=True)
    supplier_order_id = fields.String(allow_none=True)
    started_at = fields.String()
    finished_at = fields.String(allow_none=True)


class SlaPolicy(Schema):
    category = fields.String(required=True, validate=WORD, metadata={"description": "a category or *"})
    priority = fields.String(required=True, validate=WORD, metadata={"description": "a priority or *"})
    respond_s = fields.Integer(required=True, strict=True, metadata={"description": "first answer due after"})
    warn_s = fields.Integer(required=True, strict=True, metadata={"description": "warning after"})


class SlaPolicies(Schema):
    items = fields.List(fields.Nested(SlaPolicy))


class TicketQuery(Schema):
    status = fields.String(validate=WORD)
    escalated = fields.Boolean()
    assignee_id = fields.Integer()
    order_no = fields.String(validate=validate.Length(1, 64))


class TicketMessage(Schema):
    id = fields.Integer()
    by = fields.String(metadata={"description": "buyer, staff or system"})
    author = fields.String()
    body = fields.String()
    at = fields.String()


class TicketAttachment(Schema):
    id = fields.Integer()
    by = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    at = fields.String()


class TicketSummary(Schema):
    ticket_id = fields.String()
    order_no = fields.String()
    category = fields.String()
    priority = fields.String()
    subject = fields.String()
    status = fields.String()
    language = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    assignee = fields.String(allow_none=True)
    sla = fields.String(metadata={"description": "pending, met or breached"})
    escalated = fields.Boolean(metadata={"description": "in the supervisor queue (SLA breached)"})
    warned = fields.Boolean()
    opened_at = fields.String()
    warn_at = fields.String()
    due_at = fields.String()
    first_response_at = fields.String(allow_none=True)
    updated_at = fields.String()


class Ticket(TicketSummary):
    messages = fields.List(fields.Nested(TicketMessage))
    attachments = fields.List(fields.Nested(TicketAttachment))


class StaffTicket(Ticket):
    contact = fields.String()
    delivery = fields.List(
        fields.Nested(DeliveredCode), metadata={"description": "code_invalid: the codes delivered (masked)"}
    )
    attempts = fields.List(
        fields.Nested(RechargeAttempt), metadata={"description": "recharge_failed: the supplier attempts"}
    )


class TicketList(Schema):
    items = fields.List(fields.Nested(TicketSummary))


class TicketQueue(TicketList):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())

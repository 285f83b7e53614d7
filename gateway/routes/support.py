"""Support tickets (issue 21): a buyer's tickets on their order (the order token in X-Order-Token,
or the signed-in member the order belongs to), and the console's support queue (support and owner
roles). The support service decides everything; here: shapes, the credentials, and attachments
served as downloads only."""

import base64

from werkzeug.wrappers import Response

from gateway import auth, members, schemas
from gateway.http import api, json_body, query_args, read_body
from gateway.routes import Routes

BUYER = {"tags": ["support"], "errors": (429,)}
ADMIN = {"tags": ["admin", "support"], "roles": auth.SUPPORT}
TOKEN = ("X-Order-Token", False, "the order's token; without it, the signed-in member the order belongs to")
MAX_UPLOAD = 3 * 1024 * 1024  # past the support service's 2 MiB limit, so its 413 says why
UPLOAD = {"*/*": {"type": "string", "format": "binary"}}
UPLOAD_ARGS = ("filename", False, "the file's name (query parameter)")


def credentials(gateway, request):
    """{"token"} from X-Order-Token, or {"buyer_id"} of the signed-in member, or {} (404 later)."""
    token = request.headers.get("X-Order-Token", "")[:256]
    if token:
        return {"token": token}
    buyer = members.for_order(gateway, request)
    return {"buyer_id": buyer["id"]} if buyer else {}


def staff_of(request):
    actor = request.actor
    return {"actor": actor.audit, "name": actor.name, "staff_id": actor.staff_id}


def upload_of(request):
    """An attachment as the body itself (its Content-Type declared), the name in ?filename=."""
    return {
        "filename": request.args.get("filename", "")[:200] or None,
        "content_type": request.headers.get("Content-Type", "")[:200],
        "content": base64.b64encode(read_body(request)).decode(),
    }


def download(found):
    """An attachment: always a download, under the type its bytes proved, never sniffed."""
    response = Response(base64.b64decode(found["content"]), mimetype=found["content_type"])
    response.headers["Content-Disposition"] = f'attachment; filename="{found["filename"]}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class SupportRoutes(Routes):
    # -- the buyer's side --------------------------------------------------------------------

    @api(
        "POST",
        "/api/v1/orders/<order_no>/tickets",
        summary="Open a support ticket on an order",
        body=schemas.NewTicket,
        response=schemas.Ticket,
        status=201,
        headers=(TOKEN,),
        **BUYER,
    )
    def open_ticket(self, request, order_no):
        self.limit("lookup", request)
        new = json_body(request, schemas.NewTicket())
        ticket = self.support_rpc.open_ticket(order_no[:64], credentials(self, request), new)
        return 201, schemas.Ticket().dump(ticket)

    @api(
        "GET",
        "/api/v1/orders/<order_no>/tickets",
        summary="The order's tickets",
        response=schemas.TicketList,
        headers=(TOKEN,),
        **BUYER,
    )
    def order_tickets(self, request, order_no):
        self.limit("lookup", request)
        found = self.support_rpc.buyer_tickets(order_no[:64], credentials(self, request))
        return schemas.TicketList().dump({"items": found})

    @api(
        "GET",
        "/api/v1/orders/<order_no>/tickets/<ticket_id>",
        summary="A ticket with its messages and attachments",
        response=schemas.Ticket,
        headers=(TOKEN,),
        **BUYER,
    )
    def get_ticket(self, request, order_no, ticket_id):
        self.limit("lookup", request)
        ticket = self.support_rpc.buyer_ticket(order_no[:64], ticket_id[:32], credentials(self, request))
        return schemas.Ticket().dump(ticket)

    @api(
        "POST",
        "/api/v1/orders/<order_no>/tickets/<ticket_id>/messages",
        summary="Reply on a ticket (the buyer)",
        body=schemas.TicketReply,
        response=schemas.Ticket,
        headers=(TOKEN,),
        **{**BUYER, "errors": (409, 429)},
    )
    def reply_ticket(self, request, order_no, ticket_id):
        self.limit("lookup", request)
        reply = json_body(request, schemas.TicketReply())
        ticket = self.support_rpc.buyer_reply(order_no[:64], ticket_id[:32], credentials(self, request), reply)
        return schemas.Ticket().dump(ticket)

    @api(
        "POST",
        "/api/v1/orders/<order_no>/tickets/<ticket_id>/attachments",
        summary="Attach a PNG, JPEG or WebP image or a plain text file (at most 2 MiB) to a ticket",
        response=schemas.TicketAttachment,
        status=201,
        headers=(TOKEN, UPLOAD_ARGS),
        max_body=MAX_UPLOAD,
        bodies=UPLOAD,
        **{**BUYER, "errors": (413, 415, 429)},
    )
    def attach_ticket(self, request, order_no, ticket_id):
        self.limit("lookup", request)
        upload = upload_of(request)
        found = self.support_rpc.buyer_attach(order_no[:64], ticket_id[:32], credentials(self, request), upload)
        return 201, schemas.TicketAttachment().dump(found)

    @api(
        "GET",
        "/api/v1/orders/<order_no>/tickets/<ticket_id>/attachments/<int:attachment_id>",
        summary="Download an attachment (the ticket's buyer only)",
        content="application/octet-stream",
        headers=(TOKEN,),
        **BUYER,
    )
    def ticket_attachment(self, request, order_no, ticket_id, attachment_id):
        self.limit("lookup", request)
        creds = credentials(self, request)
        return download(self.support_rpc.buyer_attachment(order_no[:64], ticket_id[:32], creds, attachment_id))

    # -- the console's side ------------------------------------------------------------------

    @api(
        "GET",
        "/api/v1/admin/support/tickets",
        summary="The support queue: escalated first, then by due time",
        query=schemas.TicketQuery,
        response=schemas.TicketQueue,
        **ADMIN,
    )
    def support_queue(self, request):
        query = query_args(request, schemas.TicketQuery())
        return schemas.TicketQueue().dump(self.support_rpc.support_queue(query))

    @api(
        "GET",
        "/api/v1/admin/support/tickets/<ticket_id>",
        summary="A ticket, with the buyer's contact",
        response=schemas.StaffTicket,
        **ADMIN,
    )
    def admin_ticket(self, request, ticket_id):
        return schemas.StaffTicket().dump(self.support_rpc.get_ticket(ticket_id[:32]))

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/messages",
        summary="Answer a ticket (the first answer stops its SLA clock)",
        body=schemas.TicketReply,
        response=schemas.StaffTicket,
        errors=(409,),
        **ADMIN,
    )
    def staff_reply(self, request, ticket_id):
        reply = json_body(request, schemas.TicketReply())
        return schemas.StaffTicket().dump(self.support_rpc.staff_reply(staff_of(request), ticket_id[:32], reply))

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/status",
        summary="Change a ticket's status",
        body=schemas.TicketStatus,
        response=schemas.StaffTicket,
        **ADMIN,
    )
    def ticket_status(self, request, ticket_id):
        status = json_body(request, schemas.TicketStatus())
        found = self.support_rpc.set_ticket_status(staff_of(request), ticket_id[:32], status)
        return schemas.StaffTicket().dump(found)

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/assign",
        summary="Assign a ticket to a support staff member (no staff_id: to me; null: nobody)",
        body=schemas.TicketAssign,
        response=schemas.StaffTicket,
        **ADMIN,
    )
    def assign_ticket(self, request, ticket_id):
        to = json_body(request, schemas.TicketAssign()).get("staff_id", request.actor.staff_id)
        found = self.support_rpc.assign_ticket(staff_of(request), ticket_id[:32], to)
        return schemas.StaffTicket().dump(found)

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/attachments",
        summary="Attach a file to a ticket (staff)",
        response=schemas.TicketAttachment,
        status=201,
        headers=(UPLOAD_ARGS,),
        max_body=MAX_UPLOAD,
        bodies=UPLOAD,
        errors=(413, 415),
        **ADMIN,
    )
    def staff_attach(self, request, ticket_id):
        found = self.support_rpc.staff_attach(staff_of(request), ticket_id[:32], upload_of(request))
        return 201, schemas.TicketAttachment().dump(found)

    @api(
        "GET",
        "/api/v1/admin/support/tickets/<ticket_id>/attachments/<int:attachment_id>",
        summary="Download a ticket's attachment (staff)",
        content="application/octet-stream",
        **ADMIN,
    )
    def staff_attachment(self, request, ticket_id, attachment_id):
        return download(self.support_rpc.staff_attachment(ticket_id[:32], attachment_id))

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/reveal-codes",
        summary="The codes delivered to a code_invalid ticket's order, decrypted (audited)",
        response=schemas.DeliveryRecord,
        errors=(409,),
        **ADMIN,
    )
    def reveal_codes(self, request, ticket_id):
        found = self.support_rpc.reveal_codes(staff_of(request), ticket_id[:32])
        return schemas.DeliveryRecord().dump({"items": found})

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/replace-code",
        summary="Replace a delivered code from stock: the old one is retired, never sold again (code_invalid)",
        body=schemas.ReplaceCode,
        response=schemas.StaffTicket,
        errors=(409,),
        **ADMIN,
    )
    def replace_code(self, request, ticket_id):
        action = json_body(request, schemas.ReplaceCode())
        found = self.support_rpc.replace_code(staff_of(request), ticket_id[:32], action)
        return schemas.StaffTicket().dump(found)

    @api(
        "POST",
        "/api/v1/admin/support/tickets/<ticket_id>/refund",
        summary="Refund the ticket's order in full (the order's refund saga), recorded on the ticket",
        body=schemas.ShortcutReason,
        response=schemas.StaffTicket,
        errors=(409,),
        **{**ADMIN, "roles": auth.MONEY},
    )
    def refund_ticket(self, request, ticket_id):
        action = json_body(request, schemas.ShortcutReason())
        found = self.support_rpc.refund(staff_of(request), ticket_id[:32], action)
        return schemas.StaffTicket().dump(found)

    @api("GET", "/api/v1/admin/support/sla", summary="The SLA policies", response=schemas.SlaPolicies, **ADMIN)
    def sla_policies(self, request):
        return schemas.SlaPolicies().dump({"items": self.support_rpc.sla_policies()})

    @api(
        "PUT",
        "/api/v1/admin/support/sla",
        summary="Set the SLA of a category and priority (either may be *), for tickets opened from now on",
        body=schemas.SlaPolicy,
        response=schemas.SlaPolicy,
        **ADMIN,
    )
    def set_sla_policy(self, request):
        policy = json_body(request, schemas.SlaPolicy())
        return schemas.SlaPolicy().dump(self.support_rpc.set_sla_policy(request.actor.audit, policy))

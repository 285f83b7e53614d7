"""Support tickets as pages (issue 21): on the storefront, the buyer's tickets on an order (the
order page's token cookie, or the signed-in member the order belongs to), a form to open one and
the ticket page to follow it; in the console, the support queue (with SLA countdowns that
gateway/static/support.js makes tick) and a ticket's page. They call the same support RPCs as the
JSON API (gateway/routes/support.py); the support service decides everything.

Attachments never go through a multipart parser (docs/security.md): the page's script sends the
file as the request body, as the JSON API takes it, with the page's CSRF token in a header."""

from werkzeug.utils import redirect

from gateway import auth, errors, members, pages, schemas, web
from gateway.routes import Routes
from gateway.routes.pages import FIND_COOKIE, TOKEN_COOKIE, order_path
from gateway.routes.support import MAX_UPLOAD, download, upload_of
from gateway.web import page
from services.common.errors import Conflict, DomainError, InvalidInput, NotFound

CATEGORIES = ("code_invalid", "not_received", "recharge_failed", "refund_request", "other")
STATUSES = ("open", "waiting_on_buyer", "waiting_on_supplier", "resolved", "closed")
ADMIN = {"roles": auth.SUPPORT, "area": "admin"}


def credentials(gateway, request, order_no):
    """{"token"} from the order page's cookie, {"buyer_id"} of the signed-in member, {"found"}
    when a find-my-order grant (contact + lookup password, checked by the order service) covers
    the order, or {} (the support service answers 404)."""
    token = web.cookie(request, gateway.config, TOKEN_COOKIE, order_path(order_no))
    if token:
        return {"token": token}
    buyer = members.for_order(gateway, request)
    if buyer:
        return {"buyer_id": buyer["id"]}
    grant = web.sessions(gateway.config).get("find", web.cookie(request, gateway.config, FIND_COOKIE))
    return {"found": True} if grant and order_no in grant["orders"] else {}


def tickets_path(order_no, ticket_id=None):
    return f"{order_path(order_no)}/tickets" + (f"/{ticket_id}" if ticket_id else "")


def text_of(form, name, limit=5000):
    return form.get(name, "").strip()[:limit]


def new_ticket_page(gateway, request, order_no, status=200, error=None, form=None):
    found = gateway.support_rpc.buyer_tickets(order_no, credentials(gateway, request, order_no))
    return pages.render(
        request,
        "store/tickets.html",
        status=status,
        order_no=order_no,
        tickets=schemas.TicketList().dump({"items": found})["items"],
        categories=CATEGORIES,
        error=error,
        form=form or {},
    )


def ticket_page(gateway, request, order_no, ticket_id, status=200, error=None):
    found = gateway.support_rpc.buyer_ticket(order_no, ticket_id, credentials(gateway, request, order_no))
    return pages.render(
        request,
        "store/ticket.html",
        status=status,
        order_no=order_no,
        ticket=schemas.Ticket().dump(found),
        error=error,
        done=request.args.get("done", "")[:16],
    )


def staff_of(request):
    admin = request.admin
    return {"actor": admin["actor"], "name": admin["name"], "staff_id": admin["staff_id"]}


def staff_ticket_page(gateway, request, ticket_id, status=200, error=None):
    ticket = schemas.StaffTicket().dump(gateway.support_rpc.get_ticket(ticket_id))
    return pages.render(
        request,
        "admin/support_ticket.html",
        status=status,
        ticket=ticket,
        statuses=STATUSES,
        error=error,
        done=request.args.get("done", "")[:16],
        can_refund=request.admin["role"] in auth.MONEY,
    )


def uploaded(call):
    """An attachment sent by the page's script: its JSON, or the error's JSON (the script says it)."""
    try:
        return 201, schemas.TicketAttachment().dump(call())
    except DomainError as exc:
        return errors.error_response(exc)


class SupportPageRoutes(Routes):
    # -- the storefront ----------------------------------------------------------------------

    @page("GET", "/orders/<order_no>/tickets")
    def tickets_page(self, request, order_no):
        self.limit("lookup", request)
        return new_ticket_page(self, request, order_no[:64])

    @page("POST", "/orders/<order_no>/tickets")
    def open_ticket_form(self, request, order_no):
        order_no = order_no[:64]
        self.limit("lookup", request)
        form = {"category": text_of(request.form, "category", 32), "message": text_of(request.form, "message")}
        new = {**{k: v for k, v in form.items() if v}, "language": pages.language(request, self.config)[:2]}
        try:
            ticket = self.support_rpc.open_ticket(order_no, credentials(self, request, order_no), new)
        except InvalidInput as exc:
            return new_ticket_page(self, request, order_no, 400, exc.message, form)
        return redirect(tickets_path(order_no, ticket["ticket_id"]), code=303)

    @page("GET", "/orders/<order_no>/tickets/<ticket_id>")
    def ticket_view(self, request, order_no, ticket_id):
        self.limit("lookup", request)
        return ticket_page(self, request, order_no[:64], ticket_id[:32])

    @page("POST", "/orders/<order_no>/tickets/<ticket_id>/reply")
    def ticket_reply_form(self, request, order_no, ticket_id):
        order_no, ticket_id = order_no[:64], ticket_id[:32]
        self.limit("lookup", request)
        creds = credentials(self, request, order_no)
        try:
            self.support_rpc.buyer_reply(order_no, ticket_id, creds, {"body": text_of(request.form, "body")})
        except (InvalidInput, Conflict) as exc:
            return ticket_page(
                self, request, order_no, ticket_id, 409 if isinstance(exc, Conflict) else 400, exc.message
            )
        return redirect(tickets_path(order_no, ticket_id) + "?done=sent", code=303)

    @page("POST", "/orders/<order_no>/tickets/<ticket_id>/attachments", max_body=MAX_UPLOAD)
    def ticket_upload(self, request, order_no, ticket_id):
        order_no, ticket_id = order_no[:64], ticket_id[:32]
        self.limit("lookup", request)
        creds = credentials(self, request, order_no)
        return uploaded(lambda: self.support_rpc.buyer_attach(order_no, ticket_id, creds, upload_of(request)))

    @page("GET", "/orders/<order_no>/tickets/<ticket_id>/attachments/<int:attachment_id>")
    def ticket_file(self, request, order_no, ticket_id, attachment_id):
        order_no = order_no[:64]
        self.limit("lookup", request)
        creds = credentials(self, request, order_no)
        return download(self.support_rpc.buyer_attachment(order_no, ticket_id[:32], creds, attachment_id))

    # -- the console -------------------------------------------------------------------------

    @page("GET", "/admin/support", menu_label="admin.nav.tickets", order=45, **ADMIN)
    def admin_support(self, request):
        status = request.args.get("status", "")[:32]
        query = {"status": status} if status in STATUSES else {}
        queue = schemas.TicketQueue().dump(self.support_rpc.support_queue(query))
        return pages.render(
            request,
            "admin/support.html",
            tickets=queue["items"],
            counts=queue.get("counts") or {},
            statuses=STATUSES,
            status=query.get("status"),
        )

    @page("GET", "/admin/support/<ticket_id>", **ADMIN)
    def admin_support_ticket(self, request, ticket_id):
        return staff_ticket_page(self, request, ticket_id[:32])

    @page("POST", "/admin/support/<ticket_id>/reply", **ADMIN)
    def admin_support_reply(self, request, ticket_id):
        ticket_id = ticket_id[:32]
        try:
            self.support_rpc.staff_reply(staff_of(request), ticket_id, {"body": text_of(request.form, "body")})
        except (InvalidInput, Conflict) as exc:
            return staff_ticket_page(self, request, ticket_id, 409 if isinstance(exc, Conflict) else 400, exc.message)
        return redirect(f"/admin/support/{ticket_id}?done=sent", code=303)

    @page("POST", "/admin/support/<ticket_id>/status", **ADMIN)
    def admin_support_status(self, request, ticket_id):
        ticket_id = ticket_id[:32]
        try:
            status = {"status": text_of(request.form, "status", 32)}
            self.support_rpc.set_ticket_status(staff_of(request), ticket_id, status)
        except (InvalidInput, Conflict) as exc:
            return staff_ticket_page(self, request, ticket_id, 409 if isinstance(exc, Conflict) else 400, exc.message)
        return redirect(f"/admin/support/{ticket_id}?done=status", code=303)

    @page("POST", "/admin/support/<ticket_id>/assign", **ADMIN)
    def admin_support_assign(self, request, ticket_id):
        ticket_id = ticket_id[:32]
        try:
            self.support_rpc.assign_ticket(staff_of(request), ticket_id, request.admin["staff_id"])
        except (InvalidInput, Conflict, NotFound) as exc:
            return staff_ticket_page(self, request, ticket_id, 400, exc.message)
        return redirect(f"/admin/support/{ticket_id}?done=assigned", code=303)

    @page("POST", "/admin/support/<ticket_id>/attachments", max_body=MAX_UPLOAD, **ADMIN)
    def admin_support_upload(self, request, ticket_id):
        ticket_id = ticket_id[:32]
        return uploaded(lambda: self.support_rpc.staff_attach(staff_of(request), ticket_id, upload_of(request)))

    @page("POST", "/admin/support/<ticket_id>/replace-code", **ADMIN)
    def admin_support_replace_code(self, request, ticket_id):
        """code_invalid: retire a delivered code and sell a fresh one to the order (the catalog)."""
        ticket_id = ticket_id[:32]
        try:
            code_id = int(text_of(request.form, "code_id", 20))
        except ValueError:
            return staff_ticket_page(self, request, ticket_id, 400, "code_id")
        action = {"code_id": code_id, "reason": text_of(request.form, "reason", 500) or "ticket"}
        try:
            self.support_rpc.replace_code(staff_of(request), ticket_id, action)
        except (InvalidInput, Conflict, NotFound) as exc:
            return staff_ticket_page(self, request, ticket_id, 409 if isinstance(exc, Conflict) else 400, exc.message)
        return redirect(f"/admin/support/{ticket_id}?done=replaced", code=303)

    @page("POST", "/admin/support/<ticket_id>/refund", roles=auth.MONEY, area="admin")
    def admin_support_refund(self, request, ticket_id):
        """Refund the ticket's order through the order's refund saga."""
        ticket_id = ticket_id[:32]
        try:
            self.support_rpc.refund(
                staff_of(request), ticket_id, {"reason": text_of(request.form, "reason", 500) or "ticket"}
            )
        except (InvalidInput, Conflict, NotFound) as exc:
            return staff_ticket_page(self, request, ticket_id, 409 if isinstance(exc, Conflict) else 400, exc.message)
        return redirect(f"/admin/support/{ticket_id}?done=refunded", code=303)

    @page("GET", "/admin/support/<ticket_id>/attachments/<int:attachment_id>", **ADMIN)
    def admin_support_file(self, request, ticket_id, attachment_id):
        return download(self.support_rpc.staff_attachment(ticket_id[:32], attachment_id))

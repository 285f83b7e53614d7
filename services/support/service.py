from nameko.timer import timer

from services.common.db import Database
from services.common.errors import DomainError, load
from services.common.rpc import RpcProxy, rpc
from services.common.service import BaseService
from services.support import attachments, models, parties, schemas, shortcuts, sla, tickets
from services.support.sla import now_utc

command = rpc(expected_exceptions=DomainError)


class SupportService(BaseService):
    """After-sales tickets with a first-response SLA (issue 21). Buyers prove their order through
    the order service; staff calls come through the gateway's support/owner roles. Notifications
    are the notify service's: this one only publishes ticket_* events through its outbox."""

    name = "support"
    db = Database(models.metadata)
    order_rpc = RpcProxy("order")
    account_rpc = RpcProxy("account")
    catalog_rpc = RpcProxy("catalog")
    supplier_rpc = RpcProxy("supplier")

    # -- the buyer's side -----------------------------------------------------------------------

    @command
    def open_ticket(self, order_no, credentials, new):
        new = load(schemas.NewTicket(), new)
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            return tickets.open_ticket(s, party, new, now_utc())

    @command
    def buyer_tickets(self, order_no, credentials):
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            return tickets.of_order(s, party)

    @command
    def buyer_ticket(self, order_no, ticket_id, credentials):
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            return tickets.view(s, tickets.for_party(s, str(ticket_id), party))

    @command
    def buyer_reply(self, order_no, ticket_id, credentials, reply):
        body = load(schemas.Reply(), reply)["body"]
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            return tickets.buyer_reply(s, str(ticket_id), party, body, now_utc())

    @command
    def buyer_attach(self, order_no, ticket_id, credentials, upload):
        upload, content = parties.decode(upload)
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            ticket = tickets.for_party(s, str(ticket_id), party, lock_it=True)
            return attachments.add(s, ticket, "buyer", upload["filename"], upload["content_type"], content)

    @command
    def buyer_attachment(self, order_no, ticket_id, credentials, attachment_id):
        party = parties.prove(self.order_rpc.ticket_party, order_no, credentials)
        with self.db.transaction() as s:
            ticket = tickets.for_party(s, str(ticket_id), party)
            return attachments.content_of(s, ticket.ticket_id, int(attachment_id))

    # -- the staff's side (the gateway checks the support/owner roles) ----------------------------

    @command
    def support_queue(self, query=None):
        query = load(schemas.Queue(), query or {})
        with self.db.transaction() as s:
            return {"items": tickets.queue(s, query), "counts": tickets.counts(s)}

    @command
    def get_ticket(self, ticket_id):
        """The ticket, with what its category's shortcuts need: the codes delivered (masked) for
        code_invalid, the supplier attempts for recharge_failed (asked after the transaction)."""
        with self.db.transaction() as s:
            ticket = tickets.get(s, str(ticket_id))
        return self.with_context(ticket)

    def with_context(self, ticket):
        if ticket["category"] == shortcuts.CODE_INVALID:
            ticket["delivery"] = self.catalog_rpc.delivery_record("support", ticket["order_no"], False)
        elif ticket["category"] == shortcuts.RECHARGE_FAILED:
            ticket["attempts"] = self.supplier_rpc.attempts_of(ticket["order_no"])
        return ticket

    @command
    def reveal_codes(self, staff, ticket_id):
        """The codes delivered to a code_invalid ticket's order, decrypted (the catalog audits it)."""
        staff = load(schemas.Staff(), staff)
        with self.db.transaction() as s:
            found = shortcuts.actionable(s, str(ticket_id), (shortcuts.CODE_INVALID,))
        return self.catalog_rpc.delivery_record(staff["actor"], found["order_no"], True)

    @command
    def replace_code(self, staff, ticket_id, action):
        """Retire a delivered code and give the order a fresh one from stock (the catalog's)."""
        staff, action = load(schemas.Staff(), staff), load(schemas.ReplaceCode(), action)
        with self.db.transaction() as s:
            found = shortcuts.actionable(s, str(ticket_id), (shortcuts.CODE_INVALID,))
            language = tickets.get(s, str(ticket_id))["language"]
        reason = f"ticket {ticket_id}: {action['reason']}"
        done = self.catalog_rpc.replace_code(staff["actor"], found["order_no"], action["code_id"], reason)
        with self.db.transaction() as s:
            body = shortcuts.replaced_message(language, action["reason"])
            ticket = shortcuts.record(s, str(ticket_id), staff, "support.code_replaced", body, done, now_utc())
        return self.with_context(ticket)

    @command
    def refund(self, staff, ticket_id, action):
        """Refund the ticket's order in full: the order service's refund (its saga)."""
        staff, action = load(schemas.Staff(), staff), load(schemas.Refund(), action)
        with self.db.transaction() as s:
            found = shortcuts.actionable(s, str(ticket_id), shortcuts.REFUNDABLE)
            language = tickets.get(s, str(ticket_id))["language"]
        order = self.order_rpc.refund_order(
            staff["actor"], found["order_no"], f"ticket {ticket_id}: {action['reason']}"
        )
        with self.db.transaction() as s:
            body = shortcuts.refunded_message(language, action["reason"])
            data = {"order_no": found["order_no"], "status": order["status"]}
            ticket = shortcuts.record(s, str(ticket_id), staff, "support.order_refunded", body, data, now_utc())
        return self.with_context(ticket)

    @command
    def staff_reply(self, staff, ticket_id, reply):
        staff, body = load(schemas.Staff(), staff), load(schemas.Reply(), reply)["body"]
        with self.db.transaction() as s:
            return tickets.staff_reply(s, str(ticket_id), staff, body, now_utc())

    @command
    def set_ticket_status(self, staff, ticket_id, status):
        staff, status = load(schemas.Staff(), staff), load(schemas.Status(), status)["status"]
        with self.db.transaction() as s:
            return tickets.set_status(s, str(ticket_id), staff, status, now_utc())

    @command
    def assign_ticket(self, staff, ticket_id, staff_id=None):
        staff = load(schemas.Staff(), staff)
        to = parties.assignee(self.account_rpc.list_staff, staff_id)
        with self.db.transaction() as s:
            return tickets.assign(s, str(ticket_id), staff, to, now_utc())

    @command
    def staff_attach(self, staff, ticket_id, upload):
        staff, (upload, content) = load(schemas.Staff(), staff), parties.decode(upload)
        with self.db.transaction() as s:
            ticket = tickets.lock(s, str(ticket_id))
            return attachments.add(s, ticket, "staff", upload["filename"], upload["content_type"], content)

    @command
    def staff_attachment(self, ticket_id, attachment_id):
        with self.db.transaction() as s:
            return attachments.content_of(s, str(ticket_id), int(attachment_id))

    @command
    def sla_policies(self):
        with self.db.transaction() as s:
            return sla.policies(s)

    @command
    def set_sla_policy(self, actor, policy):
        policy = load(schemas.Policy(), policy)
        with self.db.transaction() as s:
            return sla.set_policy(s, str(actor), policy)

    @timer(interval=15)
    def check_sla(self):
        """Warn at 45 min, escalate at 60 (each once, whatever the number of replicas)."""
        with self.db.transaction() as s:
            sla.tick(s)
